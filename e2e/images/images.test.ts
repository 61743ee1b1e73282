// Images, measured (issue 11), through a real server and a `sandbox` executor: a function on an
// image built from a test root filesystem (its own /etc/os-release, a shell, no Node) reads that
// os-release and the file its build step wrote; the host and the base directory are unchanged; the
// build ran once for two requests. Also: the same base from an OCI layout (two layers, a
// whiteout), `copy` from the deployed build context, and an unknown base named with its option.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runRemote } from "../../src/client/index.js";
import type { Request } from "../../src/core/request.js";
import { startCluster, sourceOf, type Cluster } from "../../test/helpers/cluster.js";
import { makeOciLayout, makeTestRootfs, TEST_OS_RELEASE } from "../../test/helpers/rootfs.js";
import { sandboxSkipReason } from "../../test/helpers/sandbox.js";
import type { ImageView } from "./apps.js";

const skip = (await sandboxSkipReason()) || (process.getuid?.() !== 0 ? "image layers need a root executor" : false);
let cluster: Cluster;
let dir: string;
let rootfs: string;
let rootfsBefore: string;

const run = (app: string): Promise<Request> => runRemote(app, undefined, { server: cluster.server.url });

/** Every path under `root` with its type, size and content hash: any change shows. */
function fingerprint(root: string): string {
  const h = createHash("sha256");
  for (const rel of readdirSync(root, { recursive: true, encoding: "utf8" }).sort()) {
    const st = statSync(join(root, rel), { throwIfNoEntry: false });
    h.update(`${rel} ${st?.mode} ${st?.size}\n`);
    if (st?.isFile()) h.update(readFileSync(join(root, rel)));
  }
  return h.digest("hex");
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), "tributary-images-"));
  rootfs = makeTestRootfs(join(dir, "rootfs"));
  rootfsBefore = fingerprint(rootfs);
  const layout = makeOciLayout(rootfs, join(dir, "layout"));
  cluster = await startCluster({
    executor: { backend: "sandbox", images: [`test=${rootfs}`, `ocitest=oci:${layout}`] },
  });
  await cluster.deploy(sourceOf(import.meta.url, "./apps.ts"));
});

after(async () => {
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("images, measured", { timeout: 120_000, skip }, () => {
  it("a function on an image built from a test root filesystem reads its os-release and the file its build step wrote", async () => {
    const layers = join(cluster.dir, "ex-0", "layers");
    const [a, b] = (await Promise.all([run("img_read"), run("img_read")].map(async (r) => (await r).output()))) as [
      ImageView,
      ImageView,
    ];
    for (const v of [a, b]) {
      assert.equal(v.osRelease, TEST_OS_RELEASE, "the image's own os-release, not the host's");
      assert.equal(v.built, "built\n");
      assert.equal(v.hello, "hello from the build context\n", "copy read the deployed build context");
      assert.equal(v.cwd, "/image");
      assert.equal(v.imageHasNode, false, "the image has no Node: the executor's runs it");
      assert.equal(v.childNode, "42", "process.execPath starts the executor's Node too");
    }
    // Two requests, one build: the executor's counter and the layer directories agree.
    assert.equal(cluster.executors[0]!.imageBuilds(), 1);
    const builtLayers = () => readdirSync(layers).filter((n) => !n.includes("."));
    assert.equal(builtLayers().length, 1);
    await (await run("img_read")).output();
    assert.equal(cluster.executors[0]!.imageBuilds(), 1, "a later request reuses the layer");
    assert.equal(builtLayers().length, 1);
  });

  it("the host and the base directory are unchanged", () => {
    assert.equal(existsSync("/built.txt"), false, "the build step wrote on the host");
    assert.equal(existsSync(join(rootfs, "built.txt")), false, "the build step wrote into the base");
    assert.equal(existsSync(join(rootfs, "image")), false);
    assert.equal(fingerprint(rootfs), rootfsBefore, "the base directory changed");
    assert.equal(readFileSync(join(rootfs, "etc", "os-release"), "utf8"), TEST_OS_RELEASE);
  });

  it("a base from an OCI image layout is unpacked with its layers in order, whiteouts applied", async () => {
    const v = (await (await run("img_oci")).output()) as ImageView;
    assert.equal(v.osRelease, TEST_OS_RELEASE);
    assert.equal(v.layer2, "from layer 2\n");
    assert.equal(v.gone, true, "layer 2's whiteout deleted /gone.txt");
    assert.equal(v.built, null, "another image's layer is not this one's");
  });

  it("a function whose base no executor provides fails naming the --image option", async () => {
    const out = await (await run("img_unknown")).finished();
    assert.equal(out.failureReason, "constraint_unsatisfiable");
    assert.match(out.error?.message ?? "", /image no-such-base .*--image no-such-base=DIR/);
  });
});
