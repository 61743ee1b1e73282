/** The chaos run's report: the two key numbers first, then what explains them. */
import type { Kill, KillKind } from "./monkey.js";
import type { Planned, Rerun } from "./requests.js";
import type { RerunVerdict } from "./rerun-cause.js";

export interface SummaryInput {
  n: number;
  seed: number;
  plan: Planned[];
  lost: Planned[];
  unacknowledged: Planned[];
  reruns: Array<Rerun & RerunVerdict>;
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
  const count = (kind: RerunVerdict["kind"]): number => s.reruns.filter((r) => r.kind === kind).length;
  // A child killed between its last act and its return never finished: its result never left the
  // process, so running it again is what durable execution must do (at-least-once for a side effect
  // made just before returning). Only the other kinds are finished calls that ran again.
  const inherent = count("killed-after-last-act");
  L(
    `  finished calls re-run:      ${s.reruns.length - inherent}   (after the result was journaled: ${count("violation")}; retried before the result was journaled: ${count("result-lost")}; unclassified: ${count("unclassified")})`,
  );
  L(
    `  unfinished calls re-run:    ${inherent}   (SIGKILLed between the child's last act and its result leaving the process: at-least-once, see each RERUN line)`,
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
  // A kill between a function's side effect and its return re-runs it in any system (at-least-once
  // for a call whose result never left its machine): reported, but not a fault of the system.
  const failed = s.lost.length > 0 || s.reruns.length > inherent || s.unacknowledged.length > 0;
  L(
    failed
      ? "  RESULT: FAIL"
      : inherent > 0
        ? `  RESULT: PASS (nothing lost, no finished call ran again; ${inherent} call(s) SIGKILLed after their side effect and before returning ran again)`
        : "  RESULT: PASS (nothing lost, nothing finished ran again)",
  );
  return failed;
}
