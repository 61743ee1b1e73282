// The attempt timer's deadline handlers on a fake clock: once per cycle, beforeMs ahead, re-armed by
// a progress reset, silent while paused on a child and after the attempt stops.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createFakeClock } from "../testing/fake-clock.js";
import { AttemptTimer, deadlineLeadMs } from "./attempt-timer.js";
import { SDKUsageError } from "./errors.js";

test("a handler runs once per cycle, beforeMs before the deadline; a reset inside it starts the next cycle", async () => {
  const clock = createFakeClock(1_000_000);
  let expired = 0;
  const timer = new AttemptTimer(clock, 3_000, () => expired++);
  timer.start();
  assert.equal(timer.deadline, 1_003_000);
  const fired: number[] = [];
  timer.onDeadline(() => {
    fired.push(clock.now());
    timer.reset(); // a progress update inside the handler
  }, 500);
  await clock.advance(2_499);
  assert.deepEqual(fired, []);
  await clock.advance(1);
  assert.deepEqual(fired, [1_002_500]);
  assert.equal(timer.deadline, 1_005_500);
  await clock.advance(3_000 * 3);
  assert.deepEqual(fired, [1_002_500, 1_005_000, 1_007_500, 1_010_000]);
  assert.equal(expired, 0, "a handler that reports progress keeps the attempt alive");
});

test("a handler that does not report progress runs once, then the timer expires", async () => {
  const clock = createFakeClock(0);
  let expired = 0;
  const timer = new AttemptTimer(clock, 3_000, () => expired++);
  timer.start();
  let fired = 0;
  timer.onDeadline(() => void fired++, 1_000);
  await clock.advance(10_000);
  assert.equal(fired, 1);
  assert.equal(expired, 1);
  assert.equal(timer.deadline, 3_000, "the last deadline is kept for the record");
});

test("paused on a child: no deadline and no handler; resuming starts a full cycle", async () => {
  const clock = createFakeClock(0);
  const timer = new AttemptTimer(clock, 2_000, () => assert.fail("must not expire"));
  timer.start();
  const fired: number[] = [];
  const off = timer.onDeadline(() => void fired.push(clock.now()), 500);
  await clock.advance(1_000);
  timer.pause();
  assert.equal(timer.deadline, null);
  await clock.advance(60_000);
  assert.deepEqual(fired, []);
  timer.resume();
  assert.equal(timer.deadline, 63_000);
  await clock.advance(1_500);
  assert.deepEqual(fired, [62_500]);
  off();
  timer.reset();
  await clock.advance(1_999);
  assert.deepEqual(fired, [62_500], "an unsubscribed handler never runs again");
  timer.stop();
});

test("a handler registered with less than beforeMs left runs at once; its error goes to onHandlerError", async () => {
  const clock = createFakeClock(0);
  const errors: unknown[] = [];
  const timer = new AttemptTimer(
    clock,
    1_000,
    () => {},
    (e) => errors.push(e),
  );
  timer.start();
  await clock.advance(900);
  timer.onDeadline(() => {
    throw new Error("checkpoint failed");
  }, 500);
  timer.onDeadline(async () => Promise.reject(new Error("async failure")), 500);
  await clock.advance(0);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(errors.map((e) => (e as Error).message).sort(), ["async failure", "checkpoint failed"]);
  timer.stop();
});

test("the default lead is 10 % of the timeout within 0.5–30 s; a lead not below the timeout is refused", () => {
  assert.equal(deadlineLeadMs(1_000, undefined), 500);
  assert.equal(deadlineLeadMs(20_000, undefined), 2_000);
  assert.equal(deadlineLeadMs(300_000, undefined), 30_000);
  assert.equal(deadlineLeadMs(172_800_000, undefined), 30_000);
  assert.equal(deadlineLeadMs(3_000, 2_999), 2_999);
  assert.throws(
    () => deadlineLeadMs(3_000, 3_000),
    (e: unknown) =>
      e instanceof SDKUsageError && /must be less than the function's timeout \(3000 ms\)/.test(e.message),
  );
});

test("a mirror without an expiry callback tracks the deadline and runs handlers, arming no timer of its own", async () => {
  const clock = createFakeClock(0);
  const timer = new AttemptTimer(clock, 3_000, null);
  timer.start();
  assert.equal(timer.deadline, 3_000);
  assert.equal(clock.pendingTimers(), 0, "no expiry timer");
  const fired: number[] = [];
  const off = timer.onDeadline(() => void fired.push(clock.now()), 1_000);
  assert.equal(clock.pendingTimers(), 1, "the handler's timer only");
  await clock.advance(2_000);
  assert.deepEqual(fired, [2_000]);
  timer.reset();
  assert.equal(timer.deadline, 5_000);
  off();
  timer.stop();
  assert.equal(clock.pendingTimers(), 0);
});
