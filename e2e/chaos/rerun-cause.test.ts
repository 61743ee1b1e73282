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
  { id: "a1", number: 1, status: "failed", failure_reason: "internal_error", started_at: 4_800 },
  { id: "a2", number: 2, status: "succeeded", failure_reason: null, started_at: 10_200 },
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

test("an executor killed with the result in its outbox: the system lost it, however soon after", () => {
  const kept: Kill = { ...executorKill(5_310), outbox: ["a1"] };
  assert.equal(rerunCause(lostThenRetried, completions, [kept]).kind, "result-lost");
});

test("an executor killed without the result in its outbox: killed after the last act, however late", () => {
  const empty: Kill = { ...executorKill(5_700), outbox: ["other"] };
  const v = rerunCause(lostThenRetried, completions, [empty]);
  assert.equal(v.kind, "killed-after-last-act");
  assert.match(v.note, /did not hold the result/);
});

test("an executor whose outbox saw the result acknowledged, yet the call re-ran: the system lost it", () => {
  const acked: Kill = { ...executorKill(5_700), outbox: [], acked: ["a1"] };
  assert.match(rerunCause(lostThenRetried, completions, [acked]).note, /acknowledged by a server/);
});
