/**
 * A call's or a request's end decided by the server (an executor lost, a call no executor can run, a
 * cancel's wind-down) whose commit fails (the database away): the request is reloaded once the
 * store answers (src/engine/reload.ts), and it ends as it would have, without anything run twice.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHarness, fnSpec } from "./harness.js";
import { failOnce, stoppedForGood } from "./store-failures.js";

const GRACE = 10_000;

test("an attempt lost with its executor while the store is away is retried once the store answers", async () => {
  const h = await createHarness([fnSpec("work")], { executorGraceMs: GRACE });
  try {
    const gone = h.executor("gone");
    const id = await h.invoke("work");
    const a = gone.assignment("work")!;
    gone.disconnect();
    const spare = h.executor("spare");
    const failures = failOnce(h, "finishAttempt");
    await h.clock.advance(GRACE); // lost: its attempt's failure does not commit
    await h.settle();
    assert.equal(failures(), 1);

    for (let i = 0; i < 3; i++) {
      await h.clock.advance(GRACE);
      await h.settle();
    }
    const b = spare.assignment("work");
    assert.ok(b, "retried on the executor that is there");
    spare.succeed(b.attemptId, '"done"');
    await h.settle();
    assert.equal((await h.request(id)).status, "succeeded");
    assert.equal(spare.assignments().length, 1, "retried once");
    assert.deepEqual(
      (await h.store.listAttempts(id)).map((x) => [x.id === a.attemptId, x.status]),
      [
        [true, "failed"],
        [false, "succeeded"],
      ],
    );
  } finally {
    await h.close();
  }
});

test("a call no executor can run fails its request once the store answers, when that failure did not commit", async () => {
  const h = await createHarness([fnSpec("top"), fnSpec("gpu_child", { gpu: ["B200:4"] })]);
  try {
    const ex = h.executor("ex", { gpus: { H100: 2 } });
    const id = await h.invoke("top");
    const top = ex.assignment("top")!;
    const failures = failOnce(h, "finishRequest");
    ex.call(top.attemptId, 0, "gpu_child");
    await h.settle();
    assert.equal(failures(), 1);

    await h.clock.advance(1_000);
    await h.settle();
    const r = await h.request(id);
    assert.deepEqual([r.status, r.failureReason], ["failed", "constraint_unsatisfiable"]);
    const calls = await h.store.listCalls(id);
    assert.deepEqual(
      calls.map((c) => [c.functionName, c.status]),
      [
        ["top", "running"],
        ["gpu_child", "failed"],
      ],
    );
    assert.ok(
      ex.sent.some((m) => m.t === "cancel" && m.attemptId === top.attemptId),
      "top is told to stop",
    );
  } finally {
    await h.close();
  }
});

test("a cancel whose wind-down failed to commit still cancels the pending calls and stops the running ones", async () => {
  const h = await createHarness([fnSpec("top"), fnSpec("hog"), fnSpec("big", { cpu: 2 })]);
  try {
    const ex = h.executor("ex", { cpu: 2 });
    const id = await h.invoke("top");
    await h.invoke("hog");
    const top = ex.assignment("top")!;
    ex.call(top.attemptId, 0, "big"); // waits for the CPU hog holds: pending
    await h.settle();
    const failures = failOnce(h, "transitionCall");
    assert.equal(await h.engine.cancel(id), true);
    await h.settle();
    assert.equal(failures(), 1);

    await h.clock.advance(1_000);
    await h.settle();
    assert.equal((await h.request(id)).status, "cancelled");
    const big = (await h.store.listCalls(id)).find((c) => c.functionName === "big");
    assert.equal(big?.status, "cancelled", "the pending call is cancelled in the store");
    assert.ok(
      ex.sent.some((m) => m.t === "cancel" && m.attemptId === top.attemptId),
      "top is told to stop",
    );
    ex.fail(top.attemptId, "cancelled", "cancelled");
    await h.settle();
    await stoppedForGood(h, ex, id, [top.attemptId]);
    const m = h.engine.metrics();
    assert.deepEqual([m.liveRequests, m.liveCalls], [1, 1], "only hog's request and call stay live");
  } finally {
    await h.close();
  }
});

test("an attempt given up as silent whose failure did not commit is retried after the reload, not taken for a cancel", async () => {
  const h = await createHarness([fnSpec("top", { timeout: 1 })], { backstopMarginMs: 1_000 });
  try {
    const ex = h.executor("ex");
    const id = await h.invoke("top");
    const top = ex.assignment("top")!;
    ex.hello([top.attemptId]); // the executor lists it (a reconnect)
    await h.settle();
    const failures = failOnce(h, "finishAttempt");
    for (let i = 0; i < 10 && !ex.sent.some((m) => m.t === "cancel"); i++) {
      await h.clock.advance(500);
      await h.settle();
    }
    assert.equal(failures(), 1, "the give-up's commit failed");
    // The executor stops it as told and reports that, while the reload adopts the request.
    ex.fail(top.attemptId, "cancelled", "cancelled");
    for (let i = 0; i < 4; i++) {
      await h.clock.advance(500);
      await h.settle();
    }
    const r = await h.request(id);
    assert.notEqual(r.status, "cancelled", "nobody cancelled the request");
    const retry = ex.assignments().filter((a) => a.functionName === "top");
    assert.equal(retry.length, 2, "the call is run again as an infrastructure retry");
    ex.succeed(retry[1]!.attemptId, '"again"');
    await h.settle();
    assert.equal((await h.request(id)).status, "succeeded");
  } finally {
    await h.close();
  }
});

test("a call failed for the events limit whose failure did not commit still fails after the reload, not run again", async () => {
  const h = await createHarness([fnSpec("chatty")], { maxEventsPerRequest: 12 });
  try {
    const ex = h.executor("ex");
    const id = await h.invoke("chatty");
    const attemptId = ex.assignment("chatty")!.attemptId;
    const failures = failOnce(h, "finishAttempt");
    for (let i = 0; i < 200 && !ex.sent.some((m) => m.t === "cancel"); i++) {
      h.engine.executorMessage("ex", { t: "progress", attemptId, update: { current: i, total: 200 }, at: i });
      // Each update written before the next (telemetry flushes on a real 25 ms timer).
      await new Promise((r) => setTimeout(r, 30));
      await h.settle();
    }
    assert.ok(
      ex.sent.some((m) => m.t === "cancel" && m.attemptId === attemptId),
      "the executor is told to stop it",
    );
    assert.equal(failures(), 1, "the call's failure did not commit");
    // The executor stops it as told and reports that, while the request is reloaded.
    ex.fail(attemptId, "cancelled", "cancelled", "CancelledError");
    for (let i = 0; i < 4; i++) {
      await h.clock.advance(1_000);
      await h.settle();
    }
    const r = await h.request(id);
    assert.deepEqual([r.status, r.failureReason], ["failed", "function_error"]);
    assert.match(r.error?.message ?? "", /limit of 12 events .*progress update refused/);
    assert.equal(ex.assignments().length, 1, "not run again");
    await stoppedForGood(h, ex, id, [attemptId]);
  } finally {
    await h.close();
  }
});
