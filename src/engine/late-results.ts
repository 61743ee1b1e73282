/**
 * Late results: an executor reports the result of an attempt this server no longer runs. It comes
 * from an executor that was away longer than the grace (restarted on the same data with the result
 * in its outbox, or cut off from the server) while the server gave the attempt up as lost and
 * retried the call.
 *
 * The first result committed wins: a success for a call that is still pending or running here ends
 * the call with it, and the newer attempt, if one runs, is superseded (it ends `cancelled` in the
 * same transaction, and its executor is told to stop it). Work that finished is never thrown away to
 * run again. A late failure changes nothing (the retry already answers it), and a call that already
 * finished keeps its result (the store's compare-and-set on the newer attempt or the pending call
 * refuses a second finish).
 *
 * A result is acknowledged only once committed, or once the store shows it is not needed. A commit
 * that fails (the store away) or is refused after the live state was changed for it (a newer attempt
 * released, the call taken off the queue) leaves the live state apart from the store: the request is
 * reloaded once the store answers (`writeFailed`, reload.ts), and the result is looked at again.
 */
import { plainError } from "../core/errors.js";
import type { FromExecutor } from "../core/wire/executor.js";
import type { AttemptResults } from "./attempt-results.js";
import type { CallEnd } from "./call-end.js";
import type { LiveAttempt, LiveCall } from "./model.js";
import type { Reservations } from "./reservations.js";
import type { EngineResources } from "./resources.js";
import type { Scheduler } from "./scheduler.js";

type Done = Extract<FromExecutor, { t: "done" }>;

/**
 * What to tell the executor: `ack` (drop it: used, or not needed), `foreign` (running in the store
 * but not here: in a cluster, perhaps another server's), `keep` (not decided now: the executor keeps
 * it and re-sends it after its next hello).
 */
export type LateVerdict = "ack" | "foreign" | "keep";

export class LateResults {
  constructor(
    private readonly res: EngineResources,
    private readonly scheduler: Scheduler,
    private readonly reservations: Reservations,
    private readonly results: AttemptResults,
    private readonly calls: CallEnd,
  ) {}

  /** Decides what a result for an attempt that is not live here means; see the file comment. */
  async accept(executorId: string, m: Done): Promise<LateVerdict> {
    const e = this.res;
    const row = await e.store.getAttempt(m.attemptId).catch(() => undefined);
    if (row === undefined) return "keep"; // the store is away: decide at the re-send
    const adopted = e.live.attempts.get(m.attemptId);
    if (adopted) {
      // Adopted while we read (a recovery, a reload or a takeover): an ordinary result after all.
      return (await this.results.accept(executorId, m, adopted.call.req.id)) ? "ack" : "keep";
    }
    if (row === null) return "ack";
    if (row.status === "running") return "foreign";
    const c = e.live.calls.get(row.callId);
    const active = c && (c.req.status === "pending" || c.req.status === "running");
    if (!m.ok || !c || !active || row.executorId !== executorId) return "ack";
    const newer = liveAttemptOf(c, e);
    // The newer attempt is still being started (its row is not there to supersede yet): look again.
    if (newer && !newer.stored) return "keep";
    if (newer) this.reservations.release(newer);
    else this.scheduler.remove(c.id);
    const superseded = plainError(
      "CancelledError",
      `${c.functionName}: attempt ${row.number} finished after the server had given it up; its result is the call's and this attempt is no longer needed`,
      { functionName: c.functionName },
    );
    const finished = await this.calls
      .finishCall(c, newer, { ok: true, value: m.value, contentType: m.contentType }, newer ? "running" : "pending", {
        number: row.number,
        superseded,
      })
      .catch((err: unknown) => {
        // Not stored, with the newer attempt released or the call off the queue: reloaded, with the
        // newer attempt (still running on its executor) adopted again.
        e.writeFailed(c.req.id, err, newer ? { executorId: newer.executorId, attemptId: newer.id } : undefined);
        return null;
      });
    if (finished === null) return "keep";
    if (!finished) {
      // The compare-and-set refused: the call moved meanwhile (a retry was placed while the result
      // was being stored, or its retry was still being written). It goes back to the queue if
      // nothing runs it, and the result is looked at again shortly, against what the call is then.
      if (!newer && !liveAttemptOf(c, e)) this.scheduler.enqueue(c);
      return "keep";
    }
    if (newer) e.live.executors.get(newer.executorId)?.link?.send({ t: "cancel", attemptId: newer.id });
    return "ack";
  }
}

/** The attempt running `c` here, if any (looked up among its request's live attempts only). */
function liveAttemptOf(c: LiveCall, e: EngineResources): LiveAttempt | null {
  for (const id of c.req.liveAttempts) {
    const a = e.live.attempts.get(id);
    if (a?.call === c) return a;
  }
  return null;
}
