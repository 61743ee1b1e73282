/**
 * Executor loss on the fake clock (docs/semantics.md, executor lifecycle): a disconnected executor keeps
 * its attempts for a grace; back in time, its results count; lost, its attempts run elsewhere as
 * infrastructure faults, without using up the retry policy. A wedged executor is caught by the
 * server-side backstop.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHarness, fnSpec } from "./harness.js";

test("an executor back within the grace keeps its attempt and its result counts", async () => {
  const h = await createHarness([fnSpec("work")], { executorGraceMs: 10_000 });
  try {
    const ex = h.executor("ex");
    const id = await h.invoke("work");
    const a = ex.assignments()[0]!;
    ex.disconnect();
    await h.clock.advance(9_000);
    ex.hello([a.attemptId]);
    await h.settle();
    ex.succeed(a.attemptId);
    await h.settle();
    assert.equal((await h.request(id)).status, "succeeded");
    assert.equal(ex.assignments().length, 1);
    assert.ok(
      ex.sent.some((m) => m.t === "ack" && m.attemptId === a.attemptId),
      "the result is acknowledged once committed",
    );
  } finally {
    await h.close();
  }
});

test("a lost executor's attempts run on another executor without using up the retry policy", async () => {
  const h = await createHarness([fnSpec("work")], { executorGraceMs: 10_000 }); // maxRetries 0
  try {
    const lost = h.executor("lost");
    const id = await h.invoke("work");
    const a = lost.assignments()[0]!;
    lost.disconnect();
    const spare = h.executor("spare");
    await h.clock.advance(9_999);
    await h.settle();
    assert.equal(spare.assignments().length, 0, "within the grace the attempt stays with its executor");
    await h.clock.advance(1);
    await h.settle();
    const b = spare.assignments()[0];
    assert.ok(b, "rescheduled on the spare executor after the grace");
    assert.equal(b.attemptNumber, 2);
    assert.equal(b.callId, a.callId);
    spare.succeed(b.attemptId);
    await h.settle();
    assert.equal((await h.request(id)).status, "succeeded");
    assert.deepEqual(
      h.engine.metrics().executors.map((e) => e.id),
      ["spare"],
      "the lost executor is forgotten",
    );
    const attempts = await h.store.listAttempts(id);
    assert.deepEqual(
      attempts.map((x) => [x.status, x.failureReason]),
      [
        ["failed", "internal_error"],
        ["succeeded", null],
      ],
    );
  } finally {
    await h.close();
  }
});

test("the backstop retries an attempt of a silent executor past its timeout plus the margin", async () => {
  const h = await createHarness([fnSpec("slow", { timeout: 10 })], { backstopMarginMs: 5_000 });
  try {
    const ex = h.executor("ex");
    const id = await h.invoke("slow");
    const a = ex.assignments()[0]!;
    await h.clock.advance(14_000);
    await h.settle();
    assert.equal(ex.assignments().length, 1, "still within timeout + margin");
    await h.clock.advance(6_000);
    await h.settle();
    assert.ok(
      ex.sent.some((m) => m.t === "cancel" && m.attemptId === a.attemptId),
      "the wedged attempt is told to stop",
    );
    assert.equal(ex.assignments().length, 2, "and retried as an infrastructure fault");
    assert.equal((await h.request(id)).status, "running");
  } finally {
    await h.close();
  }
});
