// Images: the process backend's build cache and the OCI backend's generated Dockerfile and run
// arguments (no Docker engine runs here; the OCI backend is tested by what it generates).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ImageSpec, ImageStep } from "../../core/options.js";
import { ImageCache } from "./image-cache.js";
import { dockerfile, imageTag } from "./dockerfile.js";
import { ociRunArgs } from "./oci-run.js";
import { underRoot } from "./build-steps.js";

function spec(
  steps: ImageStep[],
  baseImage: string | null = null,
  id = "img" + Math.random().toString(36).slice(2, 10),
): ImageSpec {
  return { name: "test", baseImage, steps, id };
}

test("steps run once into the cached image; concurrent prepares share one build", async () => {
  const data = mkdtempSync(join(tmpdir(), "tributary-img-"));
  const ctx = join(data, "ctx");
  mkdirSync(join(ctx, "assets"), { recursive: true });
  writeFileSync(join(ctx, "assets", "a.txt"), "from context");
  const counter = join(data, "builds.txt");
  try {
    const s = spec([
      { op: "env", key: "GREETING", value: "hi there" },
      { op: "run", command: `echo built >> ${JSON.stringify(counter)}; echo "$GREETING" > greeting.txt` },
      { op: "workdir", path: "app" },
      { op: "copy", src: "assets", dest: "assets" },
      { op: "run", command: "pwd > where.txt" },
    ]);
    const cache = new ImageCache(join(data, "ex"));
    const all = await Promise.all([1, 2, 3, 4].map(() => cache.prepare(s, ctx)));
    const again = await new ImageCache(join(data, "ex")).prepare(s, ctx);
    assert.equal(readFileSync(counter, "utf8"), "built\n");
    assert.equal(cache.builds, 1);
    const img = all[0]!;
    assert.deepEqual(again, img);
    assert.equal(img.cwd, join(img.root, "app"));
    assert.equal(readFileSync(join(img.root, "greeting.txt"), "utf8"), "hi there\n");
    assert.equal(readFileSync(join(img.cwd, "assets", "a.txt"), "utf8"), "from context");
    assert.equal(readFileSync(join(img.cwd, "where.txt"), "utf8").trim(), img.cwd);
    assert.deepEqual(img.nodePath, [join(img.cwd, "node_modules"), join(img.root, "node_modules"), img.root]);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});

test("a failed build names the step and is not cached", async () => {
  const data = mkdtempSync(join(tmpdir(), "tributary-img-"));
  const flag = join(data, "ok");
  try {
    const s = spec([
      { op: "run", command: "echo one > one.txt" },
      { op: "run", command: `test -f ${JSON.stringify(flag)} || { echo "missing flag" >&2; exit 3; }` },
    ]);
    const cache = new ImageCache(join(data, "ex"));
    await assert.rejects(cache.prepare(s), (e: Error) => {
      assert.equal(e.name, "ImageBuildError");
      assert.match(
        e.message,
        /image test \(img\w+\) failed to build at step 2 \(run ".*"\): exit code 3: missing flag/,
      );
      return true;
    });
    assert.equal(existsSync(join(data, "ex", "images", s.id)), false);
    writeFileSync(flag, "");
    const img = await cache.prepare(s);
    assert.equal(cache.builds, 2);
    assert.equal(readFileSync(join(img.root, "one.txt"), "utf8"), "one\n");
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});

test("workdir and copy destinations cannot leave the image root", () => {
  assert.equal(underRoot("", "/opt/x"), "opt/x");
  assert.equal(underRoot("app", "../../.."), "");
  assert.equal(underRoot("app", "sub"), "app/sub");
});

test("Dockerfile: FROM, then RUN/ENV/WORKDIR/COPY in order, then the runtime entry", () => {
  const s = spec(
    [
      { op: "run", command: 'apt-get update && apt-get install -y ffmpeg && echo "done"' },
      { op: "env", key: "LANG", value: "C.UTF-8" },
      { op: "workdir", path: "app" },
      { op: "copy", src: "models/", dest: "models" },
    ],
    "ubuntu:24.04",
    "0123456789abcdef",
  );
  const text = dockerfile(s);
  assert.equal(
    text,
    [
      "# Tributary image test (0123456789abcdef)",
      "FROM node:20-bookworm-slim AS tributary-node",
      "FROM ubuntu:24.04",
      "COPY --from=tributary-node /usr/local/bin/node /usr/local/bin/node",
      'ENV TRIBUTARY_IMAGE_DIR="/image"',
      "WORKDIR /image",
      'RUN ["/bin/sh","-c","apt-get update && apt-get install -y ffmpeg && echo \\"done\\""]',
      'ENV LANG="C.UTF-8"',
      "WORKDIR /image/app",
      'COPY ["models/","/image/app/models"]',
      "COPY tributary-runtime/ /opt/tributary/",
      'ENV NODE_PATH="/image/app/node_modules:/image/node_modules:/image"',
      "WORKDIR /image/app",
      'ENTRYPOINT ["node","/opt/tributary/dist/src/container/main.js"]',
      "",
    ].join("\n"),
  );
  const plain = dockerfile(spec([], null, "ffff"), { nodeImage: "node:20" });
  assert.match(plain, /^FROM node:20$/m);
  assert.doesNotMatch(plain, /AS tributary-node/);
  assert.equal(imageTag(s), "tributary/test:0123456789abcdef");
});

test("run arguments carry cpu, memory without swap, a sized tmpfs, GPUs, and env names only", () => {
  const d = ociRunArgs({
    engine: "docker",
    image: "tributary/test:ab",
    name: "c-1",
    cpu: 2,
    memoryBytes: 64 * 2 ** 20,
    diskBytes: 2 * 2 ** 30,
    env: { my_secret: "s3cr3t", A: "1" },
    gpus: ["1", "2"],
  });
  assert.equal(d.command, "docker");
  assert.deepEqual(d.args, [
    "run",
    "--rm",
    "-i",
    "--name",
    "c-1",
    "--label",
    "tributary.container=c-1",
    "--cap-drop",
    "ALL",
    "--security-opt",
    "no-new-privileges",
    "--cpus",
    "2",
    "--memory",
    "67108864b",
    "--memory-swap",
    "67108864b",
    "--pids-limit",
    "4096",
    "--tmpfs",
    "/tmp:rw,nosuid,nodev,size=2147483648,mode=1777",
    "--gpus",
    '"device=1,2"',
    "-e",
    "A",
    "-e",
    "CUDA_VISIBLE_DEVICES",
    "-e",
    "TMPDIR",
    "-e",
    "my_secret",
    "tributary/test:ab",
  ]);
  assert.equal(d.env.my_secret, "s3cr3t");
  assert.equal(d.env.CUDA_VISIBLE_DEVICES, "0,1", "devices are renumbered inside the container");
  assert.ok(!d.args.some((a) => a.includes("s3cr3t")), "secret values never on the command line");
  const p = ociRunArgs({
    engine: "podman",
    image: "x",
    name: "c-2",
    cpu: 1,
    memoryBytes: 2 ** 30,
    diskBytes: 2 ** 30,
    env: {},
    gpus: ["0"],
  });
  assert.deepEqual(p.args.slice(p.args.indexOf("--device"), p.args.indexOf("--device") + 2), [
    "--device",
    "nvidia.com/gpu=0",
  ]);
});
