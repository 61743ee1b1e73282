/**
 * Retry decisions on the fake clock (docs/semantics.md "Retries"): a failed attempt is retried after the
 * backoff while attempts remain; `RequestError` is never retried; infrastructure faults retry
 * without using up the policy, up to a hard cap.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { INFRA_RETRY_CAP } from "../../src/core/retry.js";
import { createHarness, fnSpec } from "./harness.js";

const retries = { maxRetries: 2, initialDelay: 1, delayMultiplier: 2, maxDelay: 60 };

test("a failed attempt is retried after the backoff, then the call fails when attempts run out", async () => {
  const h = await createHarness([fnSpec("flaky", { retries })]);
  try {
    const ex = h.executor("ex");
    const id = await h.invoke("flaky");
    ex.fail(ex.assignments()[0]!.attemptId);
    await h.settle();
    assert.equal(ex.assignments().length, 1, "nothing runs before the backoff passed");
    assert.match([...h.engine.pendingReasons(id).values()][0] ?? "", /retrying after backoff/);
    await h.clock.advance(999);
    await h.settle();
    assert.equal(ex.assignments().length, 1);
    await h.clock.advance(1);
    await h.settle();
    assert.equal(ex.assignments().length, 2, "retried after 1 s");
    assert.equal(ex.assignments()[1]!.attemptNumber, 2);
    ex.fail(ex.assignments()[1]!.attemptId);
    await h.settle();
    await h.clock.advance(1_999);
    await h.settle();
    assert.equal(ex.assignments().length, 2, "the second retry waits 2 s (multiplier 2)");
    await h.clock.advance(1);
    await h.settle();
    ex.fail(ex.assignments()[2]!.attemptId, "function_error", "third time");
    await h.settle();
    const r = await h.request(id);
    assert.equal(r.status, "failed");
    assert.equal(r.failureReason, "function_error");
    assert.equal(r.error?.message, "third time");
    assert.equal(h.clock.pendingTimers() <= 1, true, "no retry armed (only the backstop sweep)");
  } finally {
    await h.close();
  }
});

test("a request error is never retried and fails the request with its message", async () => {
  const h = await createHarness([fnSpec("strict", { retries })]);
  try {
    const ex = h.executor("ex");
    const id = await h.invoke("strict");
    ex.fail(ex.assignments()[0]!.attemptId, "request_error", "bad order", "RequestError");
    await h.settle();
    await h.clock.advance(10_000);
    await h.settle();
    assert.equal(ex.assignments().length, 1);
    const r = await h.request(id);
    assert.equal(r.failureReason, "request_error");
    assert.equal(r.requestError?.message, "bad order");
  } finally {
    await h.close();
  }
});

test("infrastructure faults retry without using up the policy, up to the cap, then fail internal_error", async () => {
  const h = await createHarness([fnSpec("fragile")]); // no retries of its own
  try {
    const ex = h.executor("ex");
    const id = await h.invoke("fragile");
    for (let lost = 1; lost <= INFRA_RETRY_CAP; lost++) {
      ex.hello([]); // the executor restarted: it no longer runs the attempt it was given
      await h.settle();
      assert.equal(ex.assignments().length, lost + 1, `retry ${lost} of the cap`);
      assert.equal(ex.assignments().at(-1)!.attemptNumber, lost + 1);
    }
    assert.equal((await h.request(id)).status, "running");
    ex.hello([]);
    await h.settle();
    const r = await h.request(id);
    assert.equal(r.status, "failed");
    assert.equal(r.failureReason, "internal_error");
    assert.match(r.error?.message ?? "", /restarted or lost the attempt/);
  } finally {
    await h.close();
  }
});

test("after infrastructure faults the policy's own retries are still all there", async () => {
  const h = await createHarness([fnSpec("fragile", { retries: { ...retries, maxRetries: 1 } })]);
  try {
    const ex = h.executor("ex");
    const id = await h.invoke("fragile");
    ex.hello([]);
    await h.settle();
    ex.fail(ex.assignments().at(-1)!.attemptId);
    await h.settle();
    await h.clock.advance(1_000);
    await h.settle();
    assert.equal(ex.assignments().length, 3, "lost once, failed once, retried once by the policy");
    ex.succeed(ex.assignments().at(-1)!.attemptId);
    await h.settle();
    assert.equal((await h.request(id)).status, "succeeded");
  } finally {
    await h.close();
  }
});
