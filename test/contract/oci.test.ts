// The container contract on the oci backend, by what it generates (no Docker or Podman engine runs
// here; its socket channel runs for real in process.test.ts): each clause of the suite, as the
// engine is told it.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ImageSpec } from "../../src/core/options.js";
import { dockerfile } from "../../src/executor/images/dockerfile.js";
import { ociContainerCommand, type LaunchSpec } from "../../src/executor/launch.js";

const spec: LaunchSpec = {
  id: "c-1",
  cwd: "/ignored",
  env: { SECRET: "s3cr3t", TMPDIR: "/host/tmp" },
  memoryMb: 256,
  bundlePath: "/data/bundles/app_v1.mjs",
  resources: { cpu: 1.5, memoryBytes: 256 * 2 ** 20, diskBytes: 2 * 2 ** 20, gpus: [] },
  ociImage: "tributary/contract:ab12",
  inboxDir: "/data/containers/c-1/inbox",
};

/** The values of every `flag` in `args`. */
const values = (args: string[], flag: string): string[] => args.flatMap((a, i) => (a === flag ? [args[i + 1]!] : []));

test("channel: the container's own socket, by name in its environment, stdin kept open", () => {
  const c = ociContainerCommand("docker", "/tmp/sock", spec);
  assert.equal(c.hostSocket, "/tmp/sock/c-1/channel.sock");
  assert.ok(c.args.includes("-i"));
  assert.ok(values(c.args, "-e").includes("TRIBUTARY_CONTAINER_SOCKET"));
  assert.equal(c.env.TRIBUTARY_CONTAINER_SOCKET, c.hostSocket);
});

test("isolation: only its own socket directory, bundle file and inbox are mounted; no capabilities", () => {
  const c = ociContainerCommand("docker", "/tmp/sock", spec);
  assert.deepEqual(values(c.args, "-v"), [
    "/tmp/sock/c-1:/tmp/sock/c-1",
    "/data/bundles/app_v1.mjs:/data/bundles/app_v1.mjs:ro",
    "/data/containers/c-1/inbox:/data/containers/c-1/inbox:ro",
  ]);
  assert.deepEqual(values(c.args, "--cap-drop"), ["ALL"]);
  assert.deepEqual(values(c.args, "--security-opt"), ["no-new-privileges"]);
  for (const f of ["--privileged", "--network=host", "--pid=host"]) assert.ok(!c.args.includes(f), f);
  assert.ok(!c.args.some((a) => a.includes("s3cr3t")), "secret values never on the command line");
  assert.ok(!values(c.args, "-e").includes("TMPDIR=/host/tmp") && c.env.TMPDIR === "/tmp", "TMPDIR is its own /tmp");
  assert.equal(c.args.at(-1), "tributary/contract:ab12");
});

test("limits: cpu, memory without swap, and /tmp of exactly the ephemeral disk", () => {
  const c = ociContainerCommand("podman", "/tmp/sock", spec);
  assert.deepEqual(values(c.args, "--cpus"), ["1.5"]);
  assert.deepEqual(values(c.args, "--memory"), [`${256 * 2 ** 20}b`]);
  assert.deepEqual(values(c.args, "--memory-swap"), [`${256 * 2 ** 20}b`]);
  assert.deepEqual(values(c.args, "--tmpfs"), [`/tmp:rw,nosuid,nodev,size=${2 * 2 ** 20},mode=1777`]);
});

test("images: build steps in order, the function starts in the final workdir, Node brought in", () => {
  const image: ImageSpec = {
    name: "contract",
    baseImage: "debian:12",
    id: "ab12",
    steps: [
      { op: "workdir", path: "app" },
      { op: "run", command: "echo from-build > built.txt" },
    ],
  };
  const lines = dockerfile(image).split("\n");
  const at = (prefix: string): number => lines.findIndex((l) => l.startsWith(prefix));
  assert.ok(at("FROM debian:12") > 0);
  assert.ok(at("COPY --from=tributary-node") > at("FROM debian:12"), "Node comes from the Node image");
  assert.ok(at('RUN ["/bin/sh","-c","echo from-build > built.txt"]') > at("WORKDIR /image/app"));
  assert.equal(lines.filter((l) => l.startsWith("WORKDIR")).at(-1), "WORKDIR /image/app");
});
