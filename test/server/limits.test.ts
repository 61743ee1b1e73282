// Server limits set by options (the CLI's --max-* flags), each answered with its clear error:
// body size (413), state value size (SDKUsageError in the function), name lengths (400).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startCluster, sourceOf, type Cluster } from "../helpers/cluster.js";

let c: Cluster;
before(async () => {
  c = await startCluster({ server: { maxBodyBytes: 1024, maxStateBytes: 4096, maxNameLength: 16 } });
  await c.deploy(sourceOf(import.meta.url, "./apps.ts"));
});
after(async () => c?.stop());

async function post(path: string, body: string): Promise<{ status: number; json: any }> {
  const res = await fetch(c.server.url + path, {
    method: "POST",
    body,
    headers: { "content-type": "application/json" },
  });
  return { status: res.status, json: await res.json() };
}

test("--max-body-bytes: a body over the limit is 413, one under it is accepted", async () => {
  const big = await post("/applications/api_echo", JSON.stringify("x".repeat(1100)));
  assert.equal(big.status, 413);
  assert.equal(big.json.error.code, "payload_too_large");
  assert.match(big.json.error.message, /limit of 1024 bytes/);
  assert.equal((await post("/applications/api_echo", JSON.stringify("x".repeat(900)))).status, 200);
});

test("--max-state-bytes: a state value over the limit fails the function with SDKUsageError naming the limit", async () => {
  const over = await post("/applications/api_big_state?wait=60", "5000");
  assert.equal(over.status, 500, JSON.stringify(over.json));
  assert.match(over.json.error.message, /more than the limit of 4096 bytes/);
  const under = await post("/applications/api_big_state?wait=60", "1000");
  assert.equal(under.status, 200, JSON.stringify(under.json));
});

test("--max-name-length: longer names in paths and manifests are 400 naming where", async () => {
  for (const p of [
    "/applications/a_seventeen_chars",
    "/v1/namespaces/n-seventeen-chars/applications",
    "/secrets/S_SEVENTEEN_CHARS",
  ]) {
    const res = await fetch(c.server.url + p);
    assert.equal(res.status, 400, p);
    assert.match(((await res.json()) as any).error.message, /at most 16 \(--max-name-length\)/);
  }
  assert.equal(
    (await fetch(c.server.url + "/applications/sixteen_chars_ok")).status,
    404,
    "16 characters is within the limit",
  );
  const name = "a_long_app_name_x";
  const fnSpec = {
    name,
    description: "",
    cpu: 1,
    memory: 1,
    ephemeralDisk: 2,
    gpu: null,
    timeout: 300,
    image: null,
    secrets: [],
    retries: null,
    region: null,
    warmContainers: 0,
    minContainers: 0,
    maxContainers: null,
  };
  const app = {
    name,
    spec: { tags: {}, retries: null, region: null, inputDeserializer: "json", outputSerializer: "json" },
    description: "",
    hasInputSchema: false,
    hasOutputSchema: false,
  };
  const r = await post(
    "/applications",
    JSON.stringify({ manifest: { functions: [fnSpec], applications: [app], classes: [] }, bundle: "eA==" }),
  );
  assert.equal(r.status, 400);
  assert.equal(r.json.error.details.path, "$.manifest.functions[0].name");
});
