/**
 * Why a finished child ran again, decided from evidence only: the server's journal of its call
 * (attempts with their outcomes and times), the child's completion lines (pid and time of its last
 * act before returning) and the monkey's kills (time and every pid each one killed).
 *
 * - `violation`: an attempt started after the call's result was journaled (durable replay failed).
 * - `killed-after-last-act`: the process that completed first was SIGKILLed by the monkey after its
 *   last act, and the attempt it ran never reported a result. A container kill there means the
 *   result had not left the container (had it reached the executor, the attempt would have
 *   succeeded); an executor kill (its containers die with it) counts when the executor's outbox,
 *   read right after the kill, neither held nor had seen acknowledged the attempt's result (it had
 *   not reached the executor),
 *   or, where no outbox was read, within `PIPE_MS` of the last act. This is at-least-once for a side
 *   effect made just before returning, which no system can close. An executor killed with the
 *   result in its outbox, and the call re-run anyway, is the system's fault.
 * - `result-lost`: anything else: the system retried the call before the first run's result reached
 *   its journal (lost it, or gave its executor up too soon), a fault of the system.
 */
import type { Kill } from "./monkey.js";

export type RerunKind = "violation" | "killed-after-last-act" | "result-lost" | "unclassified";

export interface RerunVerdict {
  kind: RerunKind;
  note: string;
}

/** A call as the request detail (GET …/requests/{id}) shows it. */
export interface JournaledCall {
  seq: number;
  function_name: string;
  finished_at: number | null;
  attempts: Array<{
    id: string;
    number: number;
    status: string;
    failure_reason: string | null;
    started_at: number;
    error?: { name: string } | null;
  }>;
}

/** An executor kill this soon after the last act may have caught the result still in the pipe. */
export const PIPE_MS = 100;

export function rerunCause(
  call: JournaledCall,
  completions: Array<{ pid: number; at: number }>,
  kills: Kill[],
): RerunVerdict {
  const attempts = call.attempts
    .map((a) => `${a.number}:${a.status}${a.failure_reason ? `(${a.failure_reason})` : ""}`)
    .join(", ");
  const late = call.attempts.filter((a) => a.started_at > call.finished_at!);
  if (late.length > 0)
    return {
      kind: "violation",
      note: `VIOLATION: attempt ${late.map((a) => a.number).join(", ")} started after the result was journaled at ${call.finished_at}; attempts ${attempts}`,
    };
  const after = completions.filter((c) => c.at > call.finished_at!).length;
  const first = completions[0]!;
  // The attempt that ran the first completion: the last one started before it.
  const ran = call.attempts.filter((a) => a.started_at <= first.at).at(-1);
  const kill = kills.find((k) => k.pids.includes(first.pid) && k.at >= first.at);
  const dt = kill ? kill.at - first.at : 0;
  // With the outbox read after the kill: the result never reached it (neither kept nor acknowledged).
  const seen = (k: Kill, id: string): boolean => !!k.outbox?.includes(id) || !!k.acked?.includes(id);
  const notKept = kill?.outbox ? ran !== undefined && !seen(kill, ran.id) : dt <= PIPE_MS;
  if (ran && ran.status !== "succeeded" && kill && (kill.kind === "container" || notKept)) {
    const what = kill.kind === "container" ? "its container" : `its executor (with its containers)`;
    const evidence = kill.outbox ? "its outbox, read after the kill, did not hold the result" : "within the pipe time";
    return {
      kind: "killed-after-last-act",
      note: `${what} was SIGKILLed ${dt} ms after the child's last act (pid ${first.pid}), before its result reached the executor${kill.kind === "executor" ? ` (${evidence})` : ""}: attempt ${ran.number} ${ran.status}${ran.failure_reason ? `(${ran.failure_reason})` : ""} never reported it; attempts ${attempts}`,
    };
  }
  if (ran && kill && seen(kill, ran.id))
    return {
      kind: "result-lost",
      note: `RESULT LOST: its executor was killed ${dt} ms after the child's last act with attempt ${ran.number}'s result ${kill.outbox?.includes(ran.id) ? "in its outbox" : "acknowledged by a server"}, and the call ran again; attempts ${attempts}`,
    };
  return {
    kind: "result-lost",
    note: `RETRIED BEFORE THE RESULT WAS JOURNALED (${call.finished_at}; ${after ? `${after} completion(s) after it, by a run started before it` : "every completion before it"}), and no kill of the completing process within reach explains it; attempts ${attempts}`,
  };
}
