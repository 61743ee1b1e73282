// The fake clock itself, and runLocal's retry/backoff/timeout arithmetic driven by it (no real waiting).
import { test } from "node:test";
import assert from "node:assert/strict";
import { application, fn, RequestContext, Retries, runLocal } from "tributary";
import { attemptsOf, collectEvents, createFakeClock } from "tributary/testing";
import { sleep } from "../../src/core/clock.js";

test("fake clock fires timers in time order and honours cancel", async () => {
  const clock = createFakeClock(1000);
  const fired: string[] = [];
  clock.setTimer(300, () => fired.push("b"));
  clock.setTimer(100, () => fired.push("a"));
  const c = clock.setTimer(200, () => fired.push("cancelled"));
  c.cancel();
  assert.equal(clock.pendingTimers(), 2);
  await clock.advance(150);
  assert.deepEqual(fired, ["a"]);
  assert.equal(clock.now(), 1150);
  await clock.runAll();
  assert.deepEqual(fired, ["a", "b"]);
  assert.equal(clock.now(), 1300);
  assert.equal(clock.nextTimerAt(), null);
});

test("fake clock runUntil reports a promise that can never settle", async () => {
  const clock = createFakeClock();
  await assert.rejects(clock.runUntil(new Promise(() => {})), /no timer left/);
});

let clock = createFakeClock();
const always_fails = application(
  { retries: new Retries({ maxRetries: 8 }) },
  fn(async function fc_always_fails() {
    throw new Error("boom");
  }),
);

test("backoff: 1 s, ×2 per retry, capped at 60 s — exact attempt start times", { timeout: 10_000 }, async () => {
  clock = createFakeClock();
  const req = await runLocal(always_fails, undefined, { clock });
  await clock.runUntil(req.finished());
  const starts = attemptsOf(await collectEvents(req), "fc_always_fails").map((e) => e.at);
  assert.deepEqual(starts, [0, 1000, 3000, 7000, 15000, 31000, 63000, 123000, 183000]);
  const out = await req.finished();
  assert.equal(out.failureReason, "function_error");
  assert.equal(out.error?.message, "boom");
});

const waits_forever = fn(
  { timeout: 5, retries: new Retries({ maxRetries: 1, initialDelay: 2 }) },
  async function fc_waits_forever() {
    const ctx = RequestContext.get();
    await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
    return "ignored";
  },
);
const timeout_app = application(
  fn(async function fc_timeout_app() {
    return await waits_forever();
  }),
);

test("timeout: attempts fail at exactly the timeout, retried after the backoff", { timeout: 10_000 }, async () => {
  clock = createFakeClock();
  const req = await runLocal(timeout_app, undefined, { clock });
  await clock.runUntil(req.finished());
  const events = await collectEvents(req);
  const failed = events.filter((e) => e.kind === "attempt:failed" && e.functionName === "fc_waits_forever");
  assert.deepEqual(
    failed.map((e) => [e.at, e.data?.reason]),
    [
      [5000, "function_timeout"],
      [12000, "function_timeout"],
    ],
  );
  assert.deepEqual(
    attemptsOf(events, "fc_waits_forever").map((e) => e.at),
    [0, 7000],
  );
  // The parent did not catch the TimeoutError: the request fails with function_timeout.
  assert.equal((await req.finished()).failureReason, "function_timeout");
});

const heartbeat = fn({ timeout: 5 }, async function fc_heartbeat(steps: number) {
  const ctx = RequestContext.get();
  for (let i = 0; i < steps; i++) {
    await sleep(clock, 4000);
    await ctx.progress.update(i + 1, steps);
  }
  return steps;
});
const slow_child = fn({ timeout: 100 }, async function fc_slow_child() {
  await sleep(clock, 50_000);
  return "late but fine";
});
const pause_app = application(
  fn({ timeout: 1 }, async function fc_pause_app() {
    return [await heartbeat(10), await slow_child()];
  }),
);

test("progress resets the timeout and waiting on a child pauses it", { timeout: 10_000 }, async () => {
  clock = createFakeClock();
  const req = await runLocal(pause_app, undefined, { clock });
  await clock.runUntil(req.finished());
  assert.deepEqual(await req.output(), [10, "late but fine"]);
  assert.equal(clock.now(), 90_000);
});

const silent_child = fn({ timeout: 5 }, async function fc_silent_child() {
  await sleep(clock, 4000);
  await sleep(clock, 4000);
  return "never";
});
const silent_app = application(
  fn(async function fc_silent_app() {
    return await silent_child();
  }),
);

test("without progress the same work times out at 5 s", { timeout: 10_000 }, async () => {
  clock = createFakeClock();
  const req = await runLocal(silent_app, undefined, { clock });
  await clock.runUntil(req.finished());
  const out = await req.finished();
  assert.equal(out.failureReason, "function_timeout");
  const failed = (await collectEvents(req)).find((e) => e.kind === "attempt:failed");
  assert.equal(failed?.at, 5000);
});

let backoffRuns = 0;
const backoff_app = application(
  { retries: new Retries({ maxRetries: 5, initialDelay: 10 }) },
  fn(async function fc_backoff_app() {
    backoffRuns++;
    throw new Error("again");
  }),
);

test("cancel during a backoff: the pending retry never starts", { timeout: 10_000 }, async () => {
  clock = createFakeClock();
  backoffRuns = 0;
  const req = await runLocal(backoff_app, undefined, { clock });
  await clock.advance(5000);
  assert.equal(backoffRuns, 1);
  await req.cancel();
  await clock.runAll();
  assert.equal(backoffRuns, 1);
  const out = await req.finished();
  assert.equal(out.status, "cancelled");
  assert.deepEqual(out.outcome, { failure: "cancelled" });
  await assert.rejects(
    req.output(),
    (e: Error & { reason?: string }) => e.name === "RequestFailedError" && e.reason === "cancelled",
  );
});
