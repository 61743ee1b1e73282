// The sandbox backend's image layers, built for real in bubblewrap over overlays (skipped where the
// sandbox or a root executor is missing): steps write only into the layer, never the base or the
// host; concurrent first requests build once; a failed step names itself and is not cached.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ImageSpec, ImageStep } from "../../src/core/options.js";
import { detectSandbox, sandboxRuntime } from "../../src/executor/backends/sandbox-host.js";
import { createSandboxImages, type SandboxImages } from "../../src/executor/images/sandbox-images.js";
import { isImageBuildError } from "../../src/executor/images/build-steps.js";
import { rootEntries } from "../../src/executor/images/rootfs.js";
import { checkImageFlags, parseImageFlag } from "../../src/executor/images/base-images.js";
import { makeTestRootfs } from "../helpers/rootfs.js";

function spec(steps: ImageStep[], baseImage: string | null = null): ImageSpec {
  return { name: "t", baseImage, steps, id: "img" + Math.random().toString(36).slice(2, 10) };
}

/** Every file under `dir`, relative, sorted. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).sort();
}

async function setup(t: {
  skip(m: string): void;
}): Promise<{ dir: string; rootfs: string; ctx: string; images: SandboxImages } | null> {
  const dir = mkdtempSync(join(tmpdir(), "tributary-layers-"));
  const support = await detectSandbox(sandboxRuntime(dir));
  if (!support.ok || support.host.mode !== "root") {
    rmSync(dir, { recursive: true, force: true });
    t.skip(support.ok ? "images need a root executor" : `no sandbox here: ${support.reason}`);
    return null;
  }
  const rootfs = makeTestRootfs(join(dir, "rootfs"));
  const ctx = join(dir, "ctx");
  mkdirSync(join(ctx, "assets"), { recursive: true });
  writeFileSync(join(ctx, "assets", "a.txt"), "from context");
  const mountDir = join(dir, "mnt");
  mkdirSync(mountDir);
  const images = createSandboxImages(
    { host: support.host, mountDir },
    {
      dataDir: join(dir, "ex"),
      bases: new Map([["test", { name: "test", identity: `dir:${rootfs}`, entries: rootEntries(rootfs) }]]),
    },
  );
  return { dir, rootfs, ctx, images };
}

test(
  "a layer over a root filesystem: steps in order, written only into the layer, built once",
  { timeout: 60_000 },
  async (t) => {
    const s = await setup(t);
    if (!s) return;
    const before = tree(s.rootfs);
    try {
      const img = spec(
        [
          { op: "run", command: "echo built > /built.txt" },
          { op: "env", key: "GREETING", value: "hi there" },
          { op: "workdir", path: "app" },
          { op: "copy", src: "assets", dest: "assets" },
          { op: "run", command: 'echo "$GREETING" > greeting.txt; echo "$TRIBUTARY_IMAGE_DIR" > image-dir.txt' },
          { op: "run", command: "echo changed > /etc/os-release" },
        ],
        "test",
      );
      const all = await Promise.all([1, 2, 3].map(() => s.images.prepare(img, s.ctx)));
      assert.equal(s.images.builds, 1, "three concurrent first requests, one build");
      const got = all[0]!;
      assert.deepEqual(all[1], got);
      assert.equal(got.cwd, "/image/app");
      assert.deepEqual(got.nodePath, ["/image/app/node_modules", "/image/node_modules"]);
      const top = join(got.layerDir, "top");
      assert.equal(readFileSync(join(top, "built.txt"), "utf8"), "built\n");
      assert.equal(readFileSync(join(top, "image", "app", "greeting.txt"), "utf8"), "hi there\n");
      assert.equal(readFileSync(join(top, "image", "app", "image-dir.txt"), "utf8"), "/image\n");
      assert.equal(readFileSync(join(top, "image", "app", "assets", "a.txt"), "utf8"), "from context");
      // A base file changed by a step: the change is in the layer's upper directory only.
      assert.equal(readFileSync(join(got.layerDir, "upper", "etc", "os-release"), "utf8"), "changed\n");
      assert.match(readFileSync(join(s.rootfs, "etc", "os-release"), "utf8"), /Tributary Test Root/);
      assert.deepEqual(tree(s.rootfs), before, "the base directory is unchanged");
      assert.equal(existsSync("/built.txt"), false, "the host's root is unchanged");
      assert.equal(existsSync(join(got.layerDir, "work")), false, "overlay scratch is removed after the build");
      // Mount points for containers exist in the layer.
      for (const p of ["opt/tributary", "bundle", "proc", "dev", "tmp"])
        assert.ok(existsSync(join(top, p)), `${p} is in the layer`);
    } finally {
      rmSync(s.dir, { recursive: true, force: true });
    }
  },
);

test("a layer over the host's system directories leaves the host unchanged", { timeout: 60_000 }, async (t) => {
  const s = await setup(t);
  if (!s) return;
  const marker = `tributary-layer-${process.pid}-${Date.now()}.txt`;
  try {
    const got = await s.images.prepare(
      spec([{ op: "run", command: `echo x > /usr/local/${marker} && touch /etc/${marker}` }]),
    );
    assert.ok(got);
    assert.equal(readFileSync(join(got.layerDir, "upper", "usr", "local", marker), "utf8"), "x\n");
    assert.equal(existsSync(`/usr/local/${marker}`), false);
    assert.equal(existsSync(`/etc/${marker}`), false);
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test("a failed step names itself, is not cached, and a missing base names --image", { timeout: 60_000 }, async (t) => {
  const s = await setup(t);
  if (!s) return;
  try {
    const bad = spec([{ op: "run", command: 'echo "no such package: left-pad-9000" >&2; exit 7' }], "test");
    await assert.rejects(s.images.prepare(bad), (e: Error) => {
      assert.ok(isImageBuildError(e));
      assert.match(
        e.message,
        /image t \(img\w+\) failed to build at step 1 \(run ".*"\): exit code 7: no such package/,
      );
      return true;
    });
    assert.deepEqual(readdirSync(join(s.dir, "ex", "layers")), [], "nothing of the failed build is kept");
    await assert.rejects(s.images.prepare(spec([], "ubuntu:24.04")), /--image ubuntu:24.04=DIR/);
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test("--image values: NAME=DIR and NAME=oci:PATH need the sandbox backend, a bare NAME is the process backend's label", () => {
  assert.deepEqual(parseImageFlag("test=/srv/rootfs"), { name: "test", source: { kind: "dir", path: "/srv/rootfs" } });
  assert.deepEqual(parseImageFlag("t=oci:/srv/t.tar"), { name: "t", source: { kind: "oci", path: "/srv/t.tar" } });
  assert.deepEqual(parseImageFlag("ubuntu:24.04"), { name: "ubuntu:24.04", source: null });
  assert.throws(
    () => checkImageFlags([parseImageFlag("ubuntu:24.04")], "sandbox"),
    /"ubuntu:24\.04" names no root filesystem.*--image ubuntu:24\.04=DIR/,
  );
  assert.throws(() => checkImageFlags([parseImageFlag("t=/x")], "process"), /"t=\/x" needs the sandbox backend/);
  checkImageFlags([parseImageFlag("ubuntu:24.04")], "process");
  checkImageFlags([parseImageFlag("t=/x"), parseImageFlag("u=oci:/y")], "sandbox");
});
