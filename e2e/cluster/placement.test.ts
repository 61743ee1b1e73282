// Placement across servers (DESIGN.md §3 "Shared work"): a server claims only requests its
// executors can run, and a request no executor anywhere can run waits unowned, unclaimed, until a
// capable executor connects somewhere. Real processes on one PostgreSQL schema; runs are counted
// in files (process backend). Skipped, with a notice, when PostgreSQL is not reachable.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { lines, waitFor } from "../harness/processes.js";
import { clusterSuite, sleep, json, outcome } from "./nodes.js";

const T = { timeout: 60_000 };
const EU = ["--region", "eu-west-1"];

await clusterSuite("cluster placement: requests go to a server whose executors can run them", (nodes) => {
  test("a request only another server's executor can run (region) runs there, once", T, async () => {
    const [, b] = await nodes.twoWithExecutors(EU);
    const dir = nodes.workDir();
    const { request_id } = await b.client.invoke("cluster_eu", json({ dir }));
    assert.deepEqual(await outcome(b, "cluster_eu", request_id), { status: "succeeded", output: "ran in eu-west-1" });
    assert.equal(lines(join(dir, "eu.txt")).length, 1);
  });

  test(
    "a request no executor anywhere can run waits unclaimed, then runs once a capable executor joins",
    T,
    async () => {
      const [a, b] = await nodes.twoWithExecutors();
      const dir = nodes.workDir();
      const { request_id } = await a.client.invoke("cluster_eu", json({ dir }));
      const reason = await waitFor("the pending reason", async () => {
        const detail = await b.client.getRequest("cluster_eu", request_id);
        return detail.function_calls[0]?.pending_reason ?? false;
      });
      assert.match(reason, /no executor in the cluster can run it \(region eu-west-1\)/);
      // No churn: over several claim polls (1 s) no server claims or gives it back.
      const first = await nodes.requestRow(request_id);
      assert.equal(first.owner, null);
      assert.ok(first.needs);
      await sleep(3_500);
      assert.deepEqual(await nodes.requestRow(request_id), first, "the row was not updated: never claimed");
      assert.equal((await a.client.getRequest("cluster_eu", request_id)).status, "pending");
      // A capable executor joins (on B): B claims it and runs it.
      nodes.startExecutor([b], EU);
      assert.deepEqual(await outcome(a, "cluster_eu", request_id), {
        status: "succeeded",
        output: "ran in eu-west-1",
      });
      assert.equal(lines(join(dir, "eu.txt")).length, 1);
    },
  );
});
