// Errors that reach a client carry the user's stack frames and nothing of Tributary's own code or the
// server's file system (docs/semantics.md): checked on request metadata and the progress stream of a
// real server, where the function ran in a container from a bundle in the executor's data directory.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startCluster, sourceOf, type Cluster } from "../helpers/cluster.js";

let c: Cluster;
const base = (): string => `${c.server.url}/v1/namespaces/default/applications`;
/** This checkout: Tributary's own sources and build output live under it. */
const ROOT = fileURLToPath(new URL("../../../", import.meta.url)).replace(/\/$/, "");

before(async () => {
  c = await startCluster();
  await c.deploy(sourceOf(import.meta.url, "./stack-apps.ts"));
});

after(async () => {
  await c?.stop();
});

async function invoke(app: string): Promise<string> {
  const res = await fetch(`${base()}/${app}`, { method: "POST" });
  assert.equal(res.status, 200);
  return ((await res.json()) as { request_id: string }).request_id;
}

/** The whole progress stream, lifecycle events included; it closes after RequestFinished. */
async function stream(app: string, id: string): Promise<string> {
  const res = await fetch(`${base()}/${app}/requests/${id}/progress?events=all`, {
    signal: AbortSignal.timeout(20_000),
  });
  return await res.text();
}

/** Every `stack` string in a JSON document. */
function stacks(doc: unknown): string[] {
  const out: string[] = [];
  JSON.stringify(doc, (k, v: unknown) => {
    if (k === "stack" && typeof v === "string") out.push(v);
    return v;
  });
  return out;
}

function assertClean(text: string, where: string): void {
  for (const own of [
    `${ROOT}/src/`,
    `${ROOT}/dist/src/`,
    "/src/container/",
    "/dist/src/",
    "node:",
    "registry.ts",
    "main.ts",
  ]) {
    assert.ok(!text.includes(own), `${where} contains '${own}':\n${text}`);
  }
  assert.ok(!text.includes(c.dir), `${where} contains the executor's data directory ${c.dir}:\n${text}`);
}

function assertUserFrames(stack: string, fnNames: string[]): void {
  for (const name of fnNames)
    assert.match(stack, new RegExp(`at (async )?(Object\\.)?${name} \\(.*stack-apps\\.ts:\\d+:\\d+\\)`), stack);
}

async function failedDetail(app: string, id: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 800; i++) {
    const d = (await (await fetch(`${base()}/${app}/requests/${id}`)).json()) as Record<string, unknown>;
    if (d.status === "failed") return d;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`request ${id} did not fail`);
}

test(
  "a failing function's stack: the user's frames in metadata and on the SSE stream, no Tributary frame or host path",
  { timeout: 40_000 },
  async () => {
    const id = await invoke("stk_fail");
    const sse = await stream("stk_fail", id);
    const detail = await failedDetail("stk_fail", id);
    const found = stacks(detail);
    assert.ok(found.length > 0, `metadata carries the failure's stack: ${JSON.stringify(detail)}`);
    for (const s of found) {
      assert.match(s, /^Error: cannot parse order '#1'/);
      assertUserFrames(s, ["parseOrder", "stk_fail"]);
    }
    assertClean(JSON.stringify(detail), "request metadata");
    assert.match(sse, /parseOrder/);
    assertClean(sse, "the progress stream");
  },
);

test(
  "a child's failure reaches the parent and the client with the child's frames only",
  { timeout: 40_000 },
  async () => {
    const id = await invoke("stk_parent");
    const sse = await stream("stk_parent", id);
    const detail = await failedDetail("stk_parent", id);
    const found = stacks(detail);
    assert.ok(
      found.some((s) => /at (async )?(Object\.)?stk_child /.test(s)),
      JSON.stringify(detail),
    );
    for (const s of found) assertUserFrames(s, ["parseOrder"]);
    assertClean(JSON.stringify(detail), "request metadata");
    assertClean(sse, "the progress stream");
  },
);
