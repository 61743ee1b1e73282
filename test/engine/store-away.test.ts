/**
 * A result whose commit fails (the database away, docs/operations.md "When something goes away"):
 * the executor keeps it, unacknowledged, and the server reloads the request from the store once
 * the store answers (src/engine/reload.ts), asking the executor to re-send. The call is finished
 * with that result; nothing runs again.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHarness, fnSpec } from "./harness.js";

test("a result whose commit failed is asked for again and finishes its call once the store answers", async () => {
  const h = await createHarness([fnSpec("top"), fnSpec("work")]);
  try {
    const ex = h.executor("ex");
    const id = await h.invoke("top");
    const top = ex.assignment("top")!;
    ex.call(top.attemptId, 0, "work");
    await h.settle();
    const work = ex.assignment("work")!;

    // The database goes away as the result arrives: its commit fails, once.
    const finish = h.store.finishAttempt.bind(h.store);
    let failures = 0;
    h.store.finishAttempt = (...args) =>
      failures++ === 0 ? Promise.reject(new Error("connect ECONNREFUSED")) : finish(...args);
    ex.succeed(work.attemptId, '"done"');
    await h.settle();
    assert.equal(failures, 1);
    assert.ok(!ex.sent.some((m) => m.t === "ack" && m.attemptId === work.attemptId), "not acknowledged");

    // Back: the request is reloaded and the executor asked to re-send what it holds.
    await h.clock.advance(1_000);
    await h.settle();
    assert.ok(
      ex.sent.some((m) => m.t === "resend"),
      "the executor is asked to re-send",
    );
    const again = ex.call(top.attemptId, 0, "work"); // the parent's pending call, re-sent
    ex.succeed(work.attemptId, '"done"');
    await h.settle();
    assert.ok(
      ex.sent.some((m) => m.t === "ack" && m.attemptId === work.attemptId),
      "acknowledged once committed",
    );
    assert.equal(ex.reply(top.attemptId, again)?.ok, true, "the parent gets the child's result");
    ex.succeed(top.attemptId, '"top done"');
    await h.settle();
    assert.equal((await h.request(id)).status, "succeeded");
    assert.equal(ex.assignments().filter((a) => a.functionName === "work").length, 1, "work ran once");
    const attempts = await h.store.listAttempts(id);
    assert.deepEqual(
      attempts.map((a) => a.status),
      ["succeeded", "succeeded"],
    );
  } finally {
    await h.close();
  }
});
