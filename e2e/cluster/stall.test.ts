// A server that stalls past its lease (SIGSTOP, then SIGCONT): its executor fails over, another
// server takes its request over, and when it resumes it learns on renewal what it lost, forgets
// it and never acts on it again. Every call runs exactly once (counted in files, process backend).
// Skipped, with a notice, when PostgreSQL is not reachable.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { lines, waitFor } from "../harness/processes.js";
import { clusterSuite, sleep, json, LEASE_MS, outcome, type Node } from "./nodes.js";

await clusterSuite("cluster: a server stalled past its lease", (nodes) => {
  /** Two servers (`settings` over the defaults), an executor on A then B, and fault_parent's slow call running on A. */
  async function slowRequestOnA(settings: Record<string, string> = {}) {
    const [a, b] = (await nodes.cluster(2, settings)) as [Node, Node];
    nodes.startExecutor([a, b]);
    await nodes.executorOn(a);
    const dir = nodes.workDir();
    const { request_id } = await a.client.invoke("fault_parent", json({ dir, steps: 100 }));
    await waitFor("the slow call to start", () => lines(join(dir, "slow-start")).length > 0);
    const ownerA = (await nodes.requestRow(request_id)).owner;
    assert.ok(ownerA, "A owns the request it runs");
    return { a, b, dir, request_id, ownerA };
  }

  test(
    "SIGSTOP past the lease, then SIGCONT: the other server finishes the request, every call ran once",
    { timeout: 90_000 },
    async () => {
      const { a, b, dir, request_id, ownerA } = await slowRequestOnA();
      const pid = a.proc.child.pid!;
      process.kill(pid, "SIGSTOP");
      try {
        // The executor finds A silent and fails over to B; A's lease runs out; B claims the request
        // and adopts the attempts the executor re-announced.
        await waitFor("B to take the request over", async () => {
          const { owner } = await nodes.requestRow(request_id);
          return owner !== null && owner !== ownerA;
        });
        await sleep(LEASE_MS);
        assert.equal(lines(join(dir, "slow-done")).length, 0, "A resumes while the request still runs");
      } finally {
        process.kill(pid, "SIGCONT");
      }
      await waitFor("A to forget what B took over", () => /taken over by other servers/.test(a.proc.output()));
      assert.match(a.proc.output(), /lease lapsed/);
      assert.deepEqual(await outcome(b!, "fault_parent", request_id), { status: "succeeded", output: 3 });
      assert.deepEqual(await outcome(a!, "fault_parent", request_id), { status: "succeeded", output: 3 });
      for (const name of ["parent-start", "sibling", "slow-start", "slow-done", "parent-done"])
        assert.equal(lines(join(dir, name)).length, 1, `${name} ran once`);
      assert.ok((await fetch(`${a.url}/healthz`)).ok, "A keeps serving");
    },
  );

  test(
    "a stall shorter than the lease: the executor moves, the live owner hands the request over, every call ran once",
    { timeout: 90_000 },
    async () => {
      // The lease outlasts the stall; the executor's silence limit and the grace do not.
      const { a, b, dir, request_id, ownerA } = await slowRequestOnA({
        TRIBUTARY_LEASE_MS: "20000",
        TRIBUTARY_SERVER_SILENCE_MS: "1000",
        TRIBUTARY_EXECUTOR_GRACE_MS: "2000",
      });
      const pid = a.proc.child.pid!;
      process.kill(pid, "SIGSTOP");
      try {
        await nodes.executorOn(b);
      } finally {
        process.kill(pid, "SIGCONT");
      }
      // A is back well within its lease, and past it the executor's grace would give the attempts up.
      await waitFor("A to hand the request over", () => /handed 1 request\(s\) over/.test(a.proc.output()));
      assert.notEqual((await nodes.requestRow(request_id)).owner, ownerA);
      assert.doesNotMatch(a.proc.output(), /lease lapsed/, "A's lease held throughout");
      assert.deepEqual(await outcome(b!, "fault_parent", request_id), { status: "succeeded", output: 3 });
      for (const name of ["parent-start", "sibling", "slow-start", "slow-done", "parent-done"])
        assert.equal(lines(join(dir, name)).length, 1, `${name} ran once`);
    },
  );
});
