// The OCI backend end to end against a stand-in engine (no Docker engine runs here): images are
// built once from a generated Dockerfile, containers are started with `run` and the engine's limits,
// talk to the executor over the socket channel, and get their secrets by name only.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createExecutor } from "../../src/executor/index.js";
import { detectOciEngine, type OciEngine } from "../../src/executor/images/oci-run.js";
import { startCluster, sourceOf, type Cluster } from "../../test/helpers/cluster.js";
import { installFakeEngine } from "./fake-engine.js";

const dir = mkdtempSync(join(tmpdir(), "tributary-oci-test-"));
const engine = installFakeEngine(dir);
const originalPath = process.env.PATH;
let c: Cluster;

before(async () => {
  process.env.PATH = `${engine.bin}:${originalPath}`;
  c = await startCluster({ executor: { backend: "oci", ociEngine: "docker" } });
  await fetch(`${c.server.url}/v1/namespaces/default/secrets/OCI_TOKEN`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ value: "tok-3141592" }),
  });
  await c.deploy(sourceOf(import.meta.url, "./apps.ts"));
});
after(async () => {
  await c?.stop();
  process.env.PATH = originalPath;
  rmSync(dir, { recursive: true, force: true });
});

function calls(): unknown[][] {
  return readFileSync(engine.log, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as unknown[]);
}

describe("OCI backend", () => {
  test(
    "a nested request runs in engine-started containers with the engine's limits and named secrets",
    { timeout: 60_000 },
    async () => {
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${c.server.url}/applications/oci_parent?wait=30`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "21",
        });
        assert.equal(res.status, 200);
        const out = (await res.json()) as Record<string, unknown>;
        assert.equal(out.doubled, 42);
        assert.equal(out.greeting, "hello from the image");
        assert.equal(out.token, "present");
        assert.equal(out.tmp, "/tmp");
        assert.notEqual(out.pid, out.parentPid);
      }
      const log = calls();
      const builds = log.filter((a) => a[0] === "build");
      // One build per image (the default one for oci_parent, and oci-test), however many requests.
      assert.equal(builds.length, 2);
      const dockerfiles = log.filter((a) => a[0] === "dockerfile").map((a) => String(a[1]));
      assert.ok(dockerfiles.some((d) => d.includes('ENV GREETING="hello from the image"')));
      const runs = log.filter((a) => a[0] === "run").map((a) => a.map(String));
      assert.equal(runs.length, 2, "warm containers are reused: one per function");
      const child = runs.find((r) => r.includes("OCI_TOKEN"))!;
      assert.ok(child, "the secret is passed by name");
      assert.ok(!JSON.stringify(log).includes("tok-3141592"), "no secret value on any engine command line");
      assert.equal(child[child.indexOf("--memory") + 1], `${2 * 2 ** 30}b`);
      assert.ok(child.includes(`/tmp:rw,nosuid,nodev,size=${3 * 2 ** 30},mode=1777`));
      assert.ok(child.includes("TRIBUTARY_CONTAINER_SOCKET"));
      assert.match(child.at(-1)!, /^tributary\/oci-test:/);
    },
  );

  test("without any engine, backend oci fails at start naming the option", async () => {
    assert.equal(detectOciEngine(["no-such-engine-xyz" as OciEngine]), null);
    const saved = process.env.PATH;
    process.env.PATH = join(dir, "empty");
    try {
      await assert.rejects(
        createExecutor({ servers: [c.server.url], dataDir: join(dir, "ex2"), backend: "oci" }),
        /backend "oci": no docker or podman/,
      );
    } finally {
      process.env.PATH = saved;
    }
  });
});
