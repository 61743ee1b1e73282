// The chaos report's re-run causes (rerun-cause.ts), on journals shaped like real chaos runs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rerunCause, type JournaledCall } from "./rerun-cause.js";
import type { Kill } from "./monkey.js";

const call = (attempts: JournaledCall["attempts"], finishedAt = 15_000): JournaledCall => ({
  seq: 3,
  function_name: "chaos_leaf",
  finished_at: finishedAt,
  attempts,
});
const lostThenRetried = call([
  { number: 1, status: "failed", failure_reason: "internal_error", started_at: 4_800 },
  { number: 2, status: "succeeded", failure_reason: null, started_at: 10_200 },
]);
const completions = [
  { pid: 101, at: 5_300 },
  { pid: 202, at: 13_200 },
];
const executorKill = (at: number): Kill => ({ kind: "executor", at, pids: [90, 101, 102], note: "executor slot 0" });

test("an executor killed just after the child's last act: killed after its last act", () => {
  const v = rerunCause(lostThenRetried, completions, [executorKill(5_334)]);
  assert.equal(v.kind, "killed-after-last-act");
  assert.match(v.note, /34 ms after/);
});

test("an executor killed long after the last act: the system lost a result it had", () => {
  assert.equal(rerunCause(lostThenRetried, completions, [executorKill(6_500)]).kind, "result-lost");
  assert.equal(rerunCause(lostThenRetried, completions, []).kind, "result-lost");
});

test("a container killed after its last act, whose attempt failed: killed after its last act", () => {
  const kill: Kill = { kind: "container", at: 5_900, pids: [101], note: "container 101" };
  assert.equal(rerunCause(lostThenRetried, completions, [kill]).kind, "killed-after-last-act");
});

test("an attempt started after the result was journaled is a violation, whatever the kills", () => {
  const v = rerunCause(call(lostThenRetried.attempts, 9_000), completions, [executorKill(5_310)]);
  assert.equal(v.kind, "violation");
});

test("a retry that started before the late first result, and finished just after it, is no violation", () => {
  const v = rerunCause(call(lostThenRetried.attempts, 13_100), completions, []);
  assert.equal(v.kind, "result-lost");
  assert.match(v.note, /1 completion\(s\) after it/);
});
