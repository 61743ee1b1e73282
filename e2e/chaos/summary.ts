/** The chaos run's report: the two key numbers first, then what explains them. */
import type { Kill, KillKind } from "./monkey.js";
import type { Planned, Rerun } from "./requests.js";

export interface SummaryInput {
  n: number;
  seed: number;
  plan: Planned[];
  lost: Planned[];
  unacknowledged: Planned[];
  reruns: Array<Rerun & { note: string }>;
  kills: Kill[];
  idleRounds: number;
  childStarts: number;
  childCalls: number;
  chaosSeconds: number;
  wallSeconds: number;
  log(line: string): void;
}

/**
 * The kill most likely to explain a re-run: one that could have lost the first completion's result
 * (its container, its executor, or the server) within 3 s after its "done" line. Context for the
 * reader only; whether the result had been journaled is decided by `classifyRerun`.
 */
function killNear(r: Rerun, kills: Kill[]): Kill | undefined {
  return kills.find(
    (k) =>
      k.at >= r.firstDoneAt - 50 &&
      k.at <= r.firstDoneAt + 3000 &&
      (k.kind === "server" || k.pids.includes(r.pids[0]!)),
  );
}

/** Prints the summary; true when the run failed. */
export function printSummary(s: SummaryInput): boolean {
  const byKind: Record<KillKind, number> = { container: 0, executor: 0, server: 0 };
  for (const k of s.kills) byKind[k.kind]++;
  const acked = s.plan.length - s.unacknowledged.length;
  const succeeded = s.plan.filter((p) => p.status === "succeeded").length;
  const invokeRetries = s.plan.reduce((a, p) => a + p.invokeRetries, 0);
  const L = s.log;
  L("");
  L(`Chaos summary (n=${s.n}, seed=${s.seed})`);
  L(
    `  requests lost:              ${s.lost.length}   (acknowledged ${acked}, succeeded with the right output ${succeeded - s.lost.filter((p) => p.status === "succeeded").length})`,
  );
  const violations = s.reruns.filter((r) => r.note.startsWith("VIOLATION")).length;
  L(
    `  finished calls re-run:      ${s.reruns.length}   (after the result was journaled: ${violations}; result lost in flight: ${s.reruns.length - violations})`,
  );
  L(
    `  never acknowledged:         ${s.unacknowledged.length}   (invoke retries while the server was down: ${invokeRetries})`,
  );
  L(
    `  kills:                      ${s.kills.length} (container ${byKind.container}, executor ${byKind.executor}, server ${byKind.server}); container rounds with no live target: ${s.idleRounds}`,
  );
  L(
    `  child runs started:         ${s.childStarts} for ${s.childCalls} child calls (runs beyond one per call: ${Math.max(0, s.childStarts - s.childCalls)}; unfinished runs are restarted after a kill)`,
  );
  L(`  chaos window:               ${s.chaosSeconds.toFixed(1)} s; wall time ${s.wallSeconds.toFixed(1)} s`);
  for (const p of s.lost.slice(0, 20)) {
    L(
      `  LOST ${p.input.req} id=${p.id} status=${p.status ?? "unknown"} reason=${p.failureReason ?? "-"} output=${JSON.stringify(p.output)}`,
    );
  }
  for (const r of s.reruns.slice(0, 20)) {
    const k = killNear(r, s.kills);
    L(`  RERUN ${r.req} child ${r.child} completed ${r.pids.length}× (pids ${r.pids.join(", ")}): ${r.note}`);
    L(
      `        nearest kill: ${k ? `${k.note}, ${k.at - r.firstDoneAt} ms after the first completion` : "none within 3 s after the first completion"}`,
    );
  }
  const failed = s.lost.length > 0 || s.reruns.length > 0 || s.unacknowledged.length > 0;
  L(failed ? "  RESULT: FAIL" : "  RESULT: PASS (nothing lost, nothing finished ran again)");
  return failed;
}
