// The executor's durable outbox (src/executor/outbox.ts), with real processes: an executor killed
// (SIGKILL) while it holds a finished call's result the server has not acknowledged, restarted on the
// same data directory, delivers that result, and the call does not run again.
import { after, afterEach, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { TributaryClient } from "../../src/client/index.js";
import { deploy } from "../../src/client/deploy.js";
import { remoteRequest } from "../../src/client/run-remote.js";
import { deployment, lines, stopAll, waitFor, type Deployment } from "../harness/processes.js";
import { Outbox } from "../../src/executor/outbox.js";

const APPS = new URL("./apps.ts", import.meta.url).pathname.replace("/dist/", "/");

let d: Deployment | undefined;
afterEach(async () => {
  await d?.cleanup();
});
after(stopAll);

/** The attempts whose results an executor's outbox (its log and its files) holds. */
const outboxOf = (dir: string): string[] => {
  const { logged, files } = Outbox.read(join(dir, "outbox"));
  return [...logged, ...files].map((m) => m.attemptId);
};

test(
  "kill -9 of an executor holding an unacknowledged result, restarted on the same data: the result is delivered, the call ran once",
  { timeout: 90_000 },
  async () => {
    // A long grace: the restarted server keeps the attempt for the executor, which re-announces it.
    d = await deployment({ TRIBUTARY_EXECUTOR_GRACE_MS: "30000" });
    await d.startServer();
    const client = new TributaryClient({ server: d.url });
    await deploy(APPS, client);
    const executor = await d.startExecutor([], "executor-outbox");
    const data = join(d.dir, "executor-outbox");
    const dir = mkdtempSync(join(d.dir, "work-"));
    const { request_id } = await client.invoke("fault_parent", {
      bytes: new TextEncoder().encode(JSON.stringify({ dir, steps: 10 })),
      contentType: "application/json",
    });
    await waitFor("the slow call to start", () => lines(join(dir, "slow-start")).length > 0);

    // The server stops taking anything in: the slow call's result reaches the executor and stays
    // unacknowledged there (and in its outbox).
    const server = d.server!;
    process.kill(server.child.pid!, "SIGSTOP");
    await waitFor("the slow call to finish", () => lines(join(dir, "slow-done")).length > 0);
    await waitFor("its result in the executor's outbox", () => outboxOf(data).length === 1);

    // The executor dies with it (a machine crash: its containers too), then the server.
    await executor.kill9(true);
    await server.kill9(true);
    await d.startServer();
    await d.startExecutor([], "executor-outbox");

    const out = await remoteRequest(client, "fault_parent", request_id).finished();
    assert.equal(out.status, "succeeded");
    assert.equal(JSON.parse(new TextDecoder().decode((await client.getOutput("fault_parent", request_id)).bytes)), 3);
    assert.equal(lines(join(dir, "slow-start")).length, 1, "the finished call did not start again");
    assert.equal(lines(join(dir, "slow-done")).length, 1, "the finished call ran once");
    assert.equal(lines(join(dir, "sibling")).length, 1);
    const detail = await client.getRequest("fault_parent", request_id);
    const slow = detail.function_calls.find((c) => c.function_name === "fault_slow")!;
    assert.deepEqual(
      slow.attempts.map((a) => a.status),
      ["succeeded"],
      "its one attempt succeeded with the kept result",
    );
    assert.equal(slow.seq, 2, "the parent's second call");
    await waitFor("the outbox to empty once the server acknowledged", () => outboxOf(data).length === 0);
  },
);
