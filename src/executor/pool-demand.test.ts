import { test } from "node:test";
import assert from "node:assert/strict";
import { ewma, startsNeeded } from "./pool-demand.js";

const d = { waiters: 0, starting: 0, busy: [], runMs: null, startMs: 300 };
const busy = (elapsedMs: number, blocked = false) => ({ elapsedMs, blocked });

test("nothing waits: nothing starts", () => {
  assert.equal(startsNeeded({ ...d, busy: [busy(1)] }), 0);
});

test("unknown run time: one start to learn from; then one per waiter once nothing frees soon", () => {
  assert.equal(startsNeeded({ ...d, waiters: 8 }), 1, "a burst on a cold key starts one container");
  assert.equal(startsNeeded({ ...d, waiters: 7, starting: 1 }), 0, "…and waits for it");
  assert.equal(startsNeeded({ ...d, waiters: 7, busy: [busy(50)] }), 0, "its first call may end soon");
  assert.equal(startsNeeded({ ...d, waiters: 7, busy: [busy(400)] }), 7, "it has run longer than a start: long calls");
  assert.equal(startsNeeded({ ...d, waiters: 3, busy: [busy(5, true)] }), 3, "a blocked parent frees nothing");
});

test("short calls queue behind warm containers instead of starting new ones", () => {
  // 4 busy containers finishing every 2 ms serve 4 × 150 calls within one 300 ms start.
  const four = [busy(1), busy(1), busy(0), busy(2)];
  assert.equal(startsNeeded({ ...d, waiters: 600, busy: four, runMs: 2 }), 0);
  assert.equal(startsNeeded({ ...d, waiters: 605, busy: four, runMs: 2 }), 5);
  assert.equal(startsNeeded({ ...d, waiters: 605, starting: 2, busy: four, runMs: 2 }), 3);
});

test("long or stuck calls: every waiter beyond those starting gets a start", () => {
  assert.equal(startsNeeded({ ...d, waiters: 5, busy: [busy(10)], runMs: 2_000 }), 5);
  assert.equal(startsNeeded({ ...d, waiters: 5, starting: 2, busy: [busy(10)], runMs: 2_000 }), 3);
  // Known-short calls, but this one has run past a start's time: it does not count as freeing soon.
  assert.equal(startsNeeded({ ...d, waiters: 2, busy: [busy(900)], runMs: 2 }), 2);
  // Recursion: the only container waits on its child, which must get a container of its own.
  assert.equal(startsNeeded({ ...d, waiters: 1, busy: [busy(1, true)], runMs: 2 }), 1);
});

test("a waiter never waits on nothing", () => {
  for (const runMs of [null, 1, 10_000]) assert.ok(startsNeeded({ ...d, waiters: 1, runMs }) >= 1, `runMs ${runMs}`);
});

test("ewma starts at the first sample and moves a fifth of the way", () => {
  assert.equal(ewma(null, 100), 100);
  assert.equal(ewma(100, 200), 120);
});
