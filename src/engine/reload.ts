/**
 * Reloading a request from the store after a transition of it failed to commit (the database away,
 * docs/operations.md "When something goes away").
 *
 * Why: a result is acknowledged to its executor only once committed (executors.ts), but by the time
 * the commit fails the attempt has already left the live maps, and the executor re-sends unacknowledged
 * results only after a hello or a `resend`. With the connection still up, nothing would ever ask
 * again: the call stayed `running` with nothing running it, and the request never finished. Any other
 * write that changes a request leaves the same gap when it fails, and takes the same path
 * (`writeFailed`, resources.ts): an attempt's start (attempts.ts), a child's creation (children.ts),
 * an end the server decided (an attempt lost or silent, a call no executor can run, a wind-down's
 * cancels: attempt-results.ts, call-end.ts, request-end.ts) and a late result (late-results.ts).
 * The store may or may not hold the write, and only its rows tell.
 *
 * What: the store is the truth. Once it answers again (and, in a cluster, once this server's lease
 * holds), the request's live state is dropped and rebuilt from the store exactly as after a restart
 * or a takeover (recovery.ts): pending calls queued again, running attempts adopted where they run.
 * The executors that ran its attempts are taken to still hold them (running, or finished with the
 * result unacknowledged), so the adoption asks them to re-send their results and RPCs instead of
 * giving the attempts up: a finished call is not run again. An attempt the executor no longer has
 * is answered by its next hello (executors.ts) or the executor grace, as after any adoption.
 *
 * Invariants:
 * - between the drop and the reload nothing of the request is live here, so no message can act on a
 *   half-dropped state; messages of its attempts meanwhile are re-sent after the adoption;
 * - no attempt of the request has its start in flight at the drop (the reload waits for the next
 *   pass otherwise): a start committed after the store was read would leave its call `running` in
 *   the store with nothing live to finish it (its result arriving for an attempt not live here);
 * - a cancel that found the request dropped (it only wrote the store) is applied once the request
 *   is live again: the request's row is read after the reload, and a finished request winds down
 *   (its running attempts told to stop), as when another server finished it;
 * - a request found finished has its calls still pending in the store cancelled there, and winds
 *   down with its running attempts kept live until their ends commit; its `request:finished` is
 *   published again from the store, for a subscriber the failed commit left waiting. Its live state
 *   is kept when it ended here (its own wind-down is under way: a commit of it was reported
 *   failed); otherwise (not live, a cancel reported failed, an end committed by stale work) it is
 *   dropped and rebuilt from the store first, since it may predate the end;
 * - an attempt whose result is held counts as announced by its executor from the failure on, so a
 *   reload of the request already under way adopts it too, rather than running it again; so does
 *   one whose result is being committed (attempt-results.ts `accept`), which a reload may read
 *   still running;
 * - work begun before the drop and going on after it (a result, a child's creation, a map's items,
 *   a wind-down's cancels under way: stale work, stale.ts) changes nothing live, where the rebuilt
 *   request may be by then; what it committed meanwhile may postdate the reload's reads, so the
 *   request is reloaded once more (each such reload drops again what is under way then: a request
 *   busy with writes may be reloaded a few times, at most once a second, before it settles);
 * - an attempt the server failed (the events limit, `failNow`) whose failure did not commit is
 *   adopted by the reload and failed again at once, so the decision stands (it is not run again as
 *   an attempt its executor does not hold);
 * - a write that failed for a reason of its own, not the store being away nor the store having
 *   moved on (`OutOfStep`: stale work, a refused end), is retried by a bounded number of reloads
 *   with backoff, then the request fails with `internal_error`, and beyond that it is given up here
 *   (reload-strikes.ts): never a reload a second for ever.
 */
import type { TimerHandle } from "../core/clock.js";
import type { PlainError } from "../core/errors.js";
import { outcomeOf } from "../core/status.js";
import type { RequestRow } from "../store/types.js";
import { storeTransient } from "../store/unreachable.js";
import type { AttemptResults } from "./attempt-results.js";
import { forgetRequests } from "./cluster-forget.js";
import { loadRequest, type RecoveryParts } from "./recovery.js";
import { Strikes } from "./reload-strikes.js";
import { OutOfStep, type HeldAttempt } from "./resources.js";

/** How long to wait before asking the store again. */
const RETRY_MS = 1_000;

/** A request to reload. */
interface Due {
  /** Attempts (id → executor) its executors are taken to still hold. */
  held: Map<string, string>;
  /** Attempts of `held` the server failed with this error, a failure that did not commit. */
  ends: Map<string, PlainError>;
  /** Not reloaded before this time (after failed writes of its own: reload-strikes.ts). */
  notBefore: number;
  /**
   * A failed write of its own was counted for this reload: the others before it are not, so a
   * request is failed after so many reloads, not after so many writes (a map's items failing at once).
   */
  struck: boolean;
}

export class Reloads {
  private readonly due = new Map<string, Due>();
  private readonly strikes: Strikes;
  private timer: TimerHandle | null = null;
  /** When `timer` fires. */
  private timerAt = 0;
  private running = false;
  /** The pass under way, if any. */
  private current: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly parts: RecoveryParts,
    private readonly results: AttemptResults,
  ) {
    this.strikes = new Strikes(parts.res.clock, RETRY_MS);
  }

  /**
   * A transition of request `requestId` failed to commit with `err`; `held`, if given, is an attempt
   * whose executor keeps its result unacknowledged, or whose failure the server decided. The request
   * is reloaded once the store answers; after a failure of the write's own, after a delay.
   */
  request(requestId: string, err: unknown, held?: HeldAttempt): void {
    if (this.stopped) return;
    const own = !storeTransient(err) && !(err instanceof OutOfStep);
    let due = this.due.get(requestId);
    if (!due) {
      this.due.set(requestId, (due = { held: new Map(), ends: new Map(), notBefore: 0, struck: false }));
      if (!own)
        process.stderr.write(
          `tributary: request ${requestId} may no longer match the store (${(err as Error)?.message ?? String(err)}); it is reloaded once the store answers\n`,
        );
    }
    if (own && !due.struck) this.strike(requestId, due, err);
    if (held) {
      due.held.set(held.attemptId, held.executorId);
      if (held.end) due.ends.set(held.attemptId, held.end);
      // Known now, not only when its reload starts: a reload of the request under way may read the
      // attempt's row (still running) after this, and must adopt it rather than run it again. Not
      // one the server failed: adopted, its "cancelled" end (it was told to stop) would be taken
      // for the call's before the failure is committed again.
      else this.adopt(new Map([[held.attemptId, held.executorId]]));
    }
    this.schedule();
  }

  /**
   * No reload starts from now on; resolves once a pass under way has ended, so that none writes
   * after the server handed its requests back (cluster.ts `stop`).
   */
  stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    return this.current ?? Promise.resolve();
  }

  /** Sets the timer for the next pass: in `RETRY_MS`, or when the first request is due if later. */
  private schedule(): void {
    if (this.running || this.stopped || this.due.size === 0) return;
    const clock = this.parts.res.clock;
    const now = clock.now();
    let first = Infinity;
    for (const d of this.due.values()) first = Math.min(first, d.notBefore);
    const at = Math.max(now + RETRY_MS, first);
    if (this.timer && this.timerAt <= at) return;
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = clock.setTimer(at - now, () => {
      this.timer = null;
      const cluster = this.parts.res.cluster;
      // A stalled server acts only once it knows which requests are still its own (cluster.ts).
      if (cluster) cluster.whenHeld(() => void this.pass());
      else void this.pass();
    });
  }

  /** Reloads every due request the store answers for; the others wait for the next pass. */
  private pass(): Promise<void> {
    if (this.running || this.stopped) return Promise.resolve();
    this.current = this.reloadDue().finally(() => (this.current = null));
    return this.current;
  }

  private async reloadDue(): Promise<void> {
    this.running = true;
    try {
      for (const [id, due] of [...this.due]) {
        if (this.stopped) return;
        if (due.notBefore > this.parts.res.clock.now()) continue;
        // Out of `due` while it reloads: a write of the request that fails meanwhile makes a new
        // entry, reloaded on the next pass, instead of joining a map this reload already read.
        this.due.delete(id);
        const step = this.strikes.step(id);
        if (step === "abandon") {
          this.abandon(id, due);
          continue;
        }
        let done: boolean | "later";
        try {
          done = await this.reload(id, due, step === "fail" ? this.strikes.failure(id) : null);
        } catch (err) {
          // The store away: tried again on the next pass. Else the reload's own write failed as
          // the request's did: counted, tried again later.
          if (storeTransient(err)) done = false;
          else {
            if (!this.due.get(id)?.struck) this.strike(id, due, err);
            done = "later";
          }
        }
        if (done !== true) this.requeue(id, due);
        if (done === false) break; // the store is still away
      }
    } finally {
      this.running = false;
      const { live } = this.parts.res;
      this.strikes.prune((id) => this.due.has(id) || live.requests.has(id));
      this.schedule();
    }
  }

  /**
   * Gives request `id` up here: its writes keep failing, failing it included. What runs of it is
   * told to stop; its rows stay as the store holds them (loaded again only after a restart).
   */
  private abandon(id: string, due: Due): void {
    const { live } = this.parts.res;
    for (const [attemptId, executorId] of due.held)
      if (!live.attempts.has(attemptId)) live.executors.get(executorId)?.link?.send({ t: "cancel", attemptId });
    forgetRequests(this.parts, new Set([id]));
    process.stderr.write(
      `tributary: request ${id} is given up by this server: its writes keep failing (${this.strikes.failure(id).message}); its attempts are told to stop, and its rows stay as the store holds them\n`,
    );
  }

  /** `held` are adopted rather than given up when loaded: their executors still hold them (see the file comment). */
  private adopt(held: Map<string, string>): void {
    for (const [attemptId, executorId] of held) {
      const ex = this.parts.res.live.executors.get(executorId);
      if (ex?.link) ex.announced.add(attemptId);
    }
  }

  /** Counts failure `err` of a write of request `id`'s own, and delays its reload (`due`) for it. */
  private strike(id: string, due: Due, err: unknown): void {
    due.struck = true;
    due.notBefore = Math.max(due.notBefore, this.parts.res.clock.now() + this.strikes.add(id, err));
  }

  /** Puts back a reload that must be tried again, with what failed meanwhile. */
  private requeue(id: string, due: Due): void {
    const since = this.due.get(id);
    if (!since) return void this.due.set(id, due);
    for (const [attemptId, executorId] of due.held) since.held.set(attemptId, executorId);
    for (const [attemptId, end] of due.ends) if (!since.ends.has(attemptId)) since.ends.set(attemptId, end);
    since.notBefore = Math.max(since.notBefore, due.notBefore);
    since.struck ||= due.struck;
  }

  /**
   * False when the store did not answer (try again later); "later" when an attempt of the request
   * is being started (try this one again on the next pass). With `failWith` (reload-strikes.ts), an
   * unfinished request is failed with it in the store first, then loaded and wound down as finished.
   */
  private async reload(id: string, due: Due, failWith: PlainError | null): Promise<boolean | "later"> {
    const { res } = this.parts;
    const { held } = due;
    let row = await res.store.getRequest(id);
    const cluster = res.cluster;
    // Taken over by another server meanwhile (its lease lapsed): that one runs it now.
    const mine = !cluster || (await res.store.notOwned(cluster.serverId, [id])).length === 0;
    let req = res.live.requests.get(id);
    if (req) {
      const attempts = [...req.liveAttempts].map((attemptId) => res.live.attempts.get(attemptId));
      // Checked in the same turn as the drop below, so no start is issued in between.
      if (attempts.some((a) => a && !a.stored)) return "later";
      for (const a of attempts) if (a) held.set(a.id, a.executorId);
    }
    if (!row || !mine) {
      // Another server runs it now: what still runs of it here is told to stop, as when a request
      // is handed over (the new owner retries its attempts where it runs them).
      forgetRequests(this.parts, new Set([id]));
      return true;
    }
    if (failWith && unfinished(row)) {
      // Dropped first, so nothing live writes to it meanwhile (stale.ts); rebuilt below, ended, with
      // every attempt the store has running adopted, so each is told to stop and its end stored.
      forgetRequests(this.parts, new Set([id]), false);
      req = undefined;
      row = (await this.failInStore(id, failWith)) ?? row;
      process.stderr.write(`tributary: request ${id} failed: ${failWith.message}\n`);
    }
    // Ended: its calls still pending are cancelled, and its running attempts are told to stop and
    // stay live until their ends commit, as a wind-down does, so no attempt or call row stays `running`.
    const ended = !unfinished(row);
    if (ended && req?.final) {
      // It ended here (a wind-down under way, a commit of which was reported failed): its live
      // state is its own wind-down's.
      await this.parts.requestEnd.cancelPendingRows(id);
      await this.publishEnd(id);
      return true;
    }
    // Dropped without telling its executors anything: unlike a hand-over, this server keeps
    // running it and adopts its attempts again below. An ended request not ended here (a cancel
    // reported failed, an end committed by stale work) is rebuilt too: what is live of it may
    // predate its end (an attempt adopted whose result committed since).
    forgetRequests(this.parts, new Set([id]), false);
    this.adopt(held);
    process.stderr.write(`tributary: reloading request ${id} from the store after a failed write\n`);
    if (ended) await this.parts.requestEnd.cancelPendingRows(id);
    await loadRequest(this.parts, row);
    // In the turn the load ended, before an adopted attempt's re-sent result can arrive: the
    // failures the server decided and could not commit are decided again (`failNow` stops them).
    for (const [attemptId, end] of ended ? [] : due.ends) {
      const a = res.live.attempts.get(attemptId);
      if (a) void this.results.failNow(a, end);
    }
    // Read after the request is live again: a cancel that committed before this read is seen here,
    // and one that commits after it finds the request live and winds it down itself.
    await this.parts.requestEnd.finishedElsewhere(id);
    if (ended) await this.publishEnd(id);
    return true;
  }

  /**
   * An ended request's end may have committed with its event never published (the commit reported
   * failed), and a subscriber here (an SSE stream, a `?wait=`) waits for it: published from the
   * store. Subscribers dedupe by seq, so one already delivered is not seen twice.
   */
  private async publishEnd(id: string): Promise<void> {
    const finished = await this.parts.res.store.lastEvent(id, "request:finished");
    if (finished) this.parts.res.publish(id, [finished]);
  }

  /** Fails request `id` in the store with `error` (`internal_error`); its row after that, if it ended. */
  private async failInStore(id: string, error: PlainError): Promise<RequestRow | null> {
    const { store, clock } = this.parts.res;
    const now = clock.now();
    const data = {
      status: "failed",
      outcome: outcomeOf("failed", "internal_error"),
      failureReason: "internal_error",
      error,
    };
    await store.finishRequest(id, { status: "failed", failureReason: "internal_error", error, finishedAt: now }, [
      { kind: "request:finished", at: now, data },
    ]);
    return store.getRequest(id);
  }
}

function unfinished(row: RequestRow): boolean {
  return row.status === "pending" || row.status === "running";
}
