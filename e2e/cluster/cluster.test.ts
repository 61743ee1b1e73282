// Scale-out (DESIGN.md §3): real `tributary server` processes on one PostgreSQL schema, each
// started from its own working directory, with executors failing over along their --server list.
// Side effects are counted in files (process backend), proving that finished calls never run again.
// Skipped, with a notice, when PostgreSQL is not reachable.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { lines, waitFor } from "../harness/processes.js";
import { unreachableReason } from "../../test/helpers/postgres-database.js";
import { clusterNodes, json, outcome, type Node } from "./nodes.js";

const T = { timeout: 60_000 };

const skip = await unreachableReason();
if (skip) process.stdout.write(`# cluster suite skipped: ${skip}\n`);

const nodes = clusterNodes();
const { startExecutor, executorOn, workDir } = nodes;

/** The SSE stream of a request, read to its end: `[id, event]` pairs. */
async function sse(node: Node, app: string, id: string): Promise<[number, string][]> {
  const r = await fetch(`${node.url}/applications/${app}/requests/${id}/progress?events=all`, {
    signal: AbortSignal.timeout(45_000),
  });
  assert.equal(r.status, 200);
  const text = await r.text();
  return text
    .split("\n\n")
    .filter((f) => f.startsWith("id:"))
    .map((f) => {
      const [idLine, eventLine] = f.split("\n");
      return [Number(idLine!.slice(4)), eventLine!.slice(7)];
    });
}

describe("cluster: several servers on one PostgreSQL", { skip: skip ?? false }, () => {
  before(() => nodes.setUp());
  after(() => nodes.tearDown());
  const cluster = (n: number): Promise<Node[]> => nodes.cluster(n);

  test("a request invoked on a server without executors runs on another server's executor", T, async () => {
    const [a, b] = await cluster(2);
    startExecutor([b!]);
    await executorOn(b!);
    const dir = workDir();
    const { request_id } = await a!.client.invoke("fault_once", json({ dir }));
    assert.deepEqual(await outcome(a!, "fault_once", request_id), { status: "succeeded", output: "done" });
    assert.equal(lines(join(dir, "once")).length, 1);
  });

  test("SSE read from another server shows every event with the same ids, ending with RequestFinished", T, async () => {
    const [a, b] = await cluster(2);
    startExecutor([a!]);
    await executorOn(a!);
    const dir = workDir();
    const { request_id } = await a!.client.invoke("fault_parent", json({ dir, steps: 5 }));
    const [onA, onB] = await Promise.all([sse(a!, "fault_parent", request_id), sse(b!, "fault_parent", request_id)]);
    assert.equal(onB.at(-1)?.[1], "RequestFinished");
    assert.deepEqual(onB, onA, "the same events with the same ids on both servers");
    assert.ok(onB.some(([, kind]) => kind === "progress"));
  });

  test(
    "kill -9 of a server mid-request: a survivor finishes it without a restart, finished calls ran once",
    T,
    async () => {
      const [a, b] = await cluster(2);
      // The executor serves A, and fails over to B when A dies.
      const ex = startExecutor([a!, b!]);
      await executorOn(a!);
      const dir = workDir();
      const { request_id } = await a!.client.invoke("fault_parent", json({ dir, steps: 40 }));
      await waitFor("the slow call to start", () => lines(join(dir, "slow-start")).length > 0);
      await a!.proc.kill9();
      assert.deepEqual(await outcome(b!, "fault_parent", request_id), { status: "succeeded", output: 3 });
      // The executor said so on stderr, naming both servers.
      assert.ok(ex.output().includes(`tributary executor: lost server ${a!.url} (`), ex.output());
      assert.ok(ex.output().includes(`; trying ${b!.url} next\n`), ex.output());
      assert.ok(ex.output().includes(`tributary executor: failed over from server ${a!.url} to ${b!.url}\n`));
      assert.equal(lines(join(dir, "sibling")).length, 1, "the finished sibling ran once");
      assert.equal(lines(join(dir, "parent-start")).length, 1, "the parent was adopted, not re-run");
      assert.equal(lines(join(dir, "slow-start")).length, 1, "the running child was adopted, not re-run");
      const pid = Number(readFileSync(join(dir, "slow.pid"), "utf8"));
      assert.ok(pid > 0);
    },
  );

  test("a request accepted only by a server killed right after is completed by a survivor", T, async () => {
    const [a, b] = await cluster(2);
    startExecutor([a!, b!]);
    await executorOn(a!);
    const dir = workDir();
    const { request_id } = await a!.client.invoke("fault_once", json({ dir }));
    await a!.proc.kill9();
    assert.deepEqual(await outcome(b!, "fault_once", request_id), { status: "succeeded", output: "done" });
    assert.equal(lines(join(dir, "once")).length, 1, "it ran once");
  });

  test("cancel on another server stops the running call on its owner's executor", T, async () => {
    const [a, b] = await cluster(2);
    startExecutor([a!]);
    await executorOn(a!);
    const dir = workDir();
    const { request_id } = await a!.client.invoke("fault_parent", json({ dir, steps: 100 }));
    await waitFor("the slow call to start", () => lines(join(dir, "slow-start")).length > 0);
    await b!.client.cancelRequest("fault_parent", request_id);
    assert.deepEqual(await outcome(a!, "fault_parent", request_id), { status: "cancelled" });
    const slow = await waitFor("the slow call's attempt to stop", async () => {
      const detail = await a!.client.getRequest("fault_parent", request_id);
      const call = detail.function_calls.find((c) => c.function_name === "fault_slow");
      return call && call.attempts.every((t) => t.status !== "running") && call;
    });
    assert.equal(slow.attempts.at(-1)?.status, "cancelled");
    assert.equal(lines(join(dir, "slow-done")).length, 0, "the slow call did not run to its end");
  });

  test("a 3 MB input crosses servers through the database", T, async () => {
    const [a, b] = await cluster(2);
    startExecutor([b!]);
    await executorOn(b!);
    const text = "x".repeat(3 * 1024 * 1024);
    const { request_id } = await a!.client.invoke("cluster_size", json({ text }));
    assert.deepEqual(await outcome(a!, "cluster_size", request_id), { status: "succeeded", output: text.length });
  });

  test("maxContainers: 1 holds across servers", T, async () => {
    const [a, b] = await cluster(2);
    startExecutor([a!]);
    startExecutor([b!]);
    await executorOn(a!);
    await executorOn(b!);
    const dir = workDir();
    const ids = await Promise.all(
      [a!, b!, a!, b!].map(async (node) => ({
        node,
        id: (await node.client.invoke("cluster_limited", json({ dir }))).request_id,
      })),
    );
    for (const { node, id } of ids) assert.equal((await outcome(node, "cluster_limited", id)).status, "succeeded");
    const runs = lines(join(dir, "limited.txt"))
      .map((l) => l.split(" ").map(Number) as [number, number])
      .sort((x, y) => x[0] - y[0]);
    assert.equal(runs.length, 4);
    for (let i = 1; i < runs.length; i++)
      assert.ok(runs[i]![0] >= runs[i - 1]![1], `runs ${i - 1} and ${i} overlap: ${JSON.stringify(runs)}`);
  });
});
