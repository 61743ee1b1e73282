// Summing attempts' usage into a request's, and what an executor's report must look like to count.
import { test } from "node:test";
import assert from "node:assert/strict";
import { sumUsage, validUsage, type AttemptUsage } from "./usage.js";

const attempt = (over: Partial<AttemptUsage> = {}): AttemptUsage => ({
  wallSeconds: 1,
  cpuSeconds: 0.5,
  peakMemoryBytes: 100,
  memoryGbSeconds: 2,
  containerStarted: false,
  ...over,
});

test("sums seconds and GB-seconds, takes the maximum peak, counts attempts and cold starts", () => {
  assert.deepEqual(
    sumUsage([
      attempt({ containerStarted: true }),
      attempt({ wallSeconds: 0.1, cpuSeconds: 0.2, peakMemoryBytes: 300, memoryGbSeconds: 0.2 }),
      null, // lost with its executor: not counted
    ]),
    {
      wall_seconds: 1.1,
      cpu_seconds: 0.7,
      peak_memory_bytes: 300,
      memory_gb_seconds: 2.2,
      attempts: 2,
      containers_started: 1,
    },
  );
});

test("unknown CPU or memory stays null unless some attempt measured it; nothing is zero, not null", () => {
  const unknown = attempt({ cpuSeconds: null, peakMemoryBytes: null });
  assert.deepEqual([sumUsage([unknown]).cpu_seconds, sumUsage([unknown]).peak_memory_bytes], [null, null]);
  assert.equal(sumUsage([unknown, attempt()]).cpu_seconds, 0.5);
  assert.deepEqual(sumUsage([]), {
    wall_seconds: 0,
    cpu_seconds: null,
    peak_memory_bytes: null,
    memory_gb_seconds: 0,
    attempts: 0,
    containers_started: 0,
  });
});

test("an executor's report counts only with finite, non-negative figures", () => {
  assert.deepEqual(validUsage(attempt()), attempt());
  assert.deepEqual(validUsage({ ...attempt(), containerStarted: "yes" }), attempt(), "a non-boolean is false");
  for (const bad of [
    null,
    "usage",
    { ...attempt(), wallSeconds: -1 },
    { ...attempt(), cpuSeconds: Number.NaN },
    { ...attempt(), peakMemoryBytes: Infinity },
    { ...attempt(), memoryGbSeconds: "2" },
  ])
    assert.equal(validUsage(bad), null, JSON.stringify(bad));
});
