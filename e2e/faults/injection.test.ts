// Fault injection driven by what the system reports: kill a container after the k-th progress update
// it streamed, and drop the executor's connection in the middle of a call. Side effects are counted
// in files, so "finished calls never run again" is proven, not assumed.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { remoteRequest } from "../../src/client/run-remote.js";
import { startCluster, sourceOf, type Cluster } from "../../test/helpers/cluster.js";
import { lines, waitFor } from "../harness/processes.js";

const T = { timeout: 60_000 };
let c: Cluster;

before(async () => {
  c = await startCluster();
  await c.deploy(sourceOf(import.meta.url, "./apps.ts"));
});
after(async () => c?.stop());

async function start(dir: string, steps: number): Promise<string> {
  const { request_id } = await c.client.invoke("fault_parent", {
    bytes: new TextEncoder().encode(JSON.stringify({ dir, steps })),
    contentType: "application/json",
  });
  return request_id;
}

describe("fault injection", () => {
  test(
    "kill -9 of a container after its 3rd progress update: the call is retried, its finished sibling is not",
    T,
    async () => {
      const dir = mkdtempSync(join(c.dir, "inj-"));
      const id = await start(dir, 10);
      let seen = 0;
      let killed = 0;
      for await (const ev of remoteRequest(c.client, "fault_parent", id).progress()) {
        if (ev.kind === "progress" && ev.functionName === "fault_slow" && ev.attempt === 1 && ++seen === 3) {
          killed = Number(readFileSync(join(dir, "slow.pid"), "utf8"));
          process.kill(killed, "SIGKILL");
        }
      }
      assert.ok(killed > 0, "the 3rd progress update was seen and its container killed");
      const detail = await c.client.getRequest("fault_parent", id);
      assert.equal(detail.status, "succeeded");
      const slow = detail.function_calls.find((f) => f.function_name === "fault_slow")!;
      assert.deepEqual(
        slow.attempts.map((a) => [a.status, a.failure_reason]),
        [
          ["failed", "function_error"],
          ["succeeded", null],
        ],
      );
      assert.equal(lines(join(dir, "sibling")).length, 1);
      assert.equal(lines(join(dir, "slow-done")).length, 1);
      assert.notEqual(Number(readFileSync(join(dir, "slow.pid"), "utf8")), killed, "the retry ran in a new container");
    },
  );

  test(
    "dropping the executor connection mid-call: it reconnects, results sent meanwhile arrive, nothing re-runs",
    T,
    async () => {
      const dir = mkdtempSync(join(c.dir, "drop-"));
      const id = await start(dir, 8);
      await waitFor("the slow call to start", () => lines(join(dir, "slow-start")).length > 0);
      c.executors[0]!.dropConnection();
      await waitFor(
        "the slow call to finish while disconnected or after",
        () => lines(join(dir, "slow-done")).length > 0,
      );
      c.executors[0]!.dropConnection();
      const out = await remoteRequest(c.client, "fault_parent", id).finished();
      assert.equal(out.status, "succeeded");
      assert.equal(lines(join(dir, "parent-start")).length, 1, "the parent was not replayed");
      assert.equal(lines(join(dir, "slow-start")).length, 1, "the child ran once");
      assert.equal(lines(join(dir, "sibling")).length, 1);
    },
  );
});
