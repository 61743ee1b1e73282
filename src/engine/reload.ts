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
 *   busy with writes may be reloaded a few times, at most once a second, before it settles).
 */
import type { TimerHandle } from "../core/clock.js";
import { forgetRequests } from "./cluster-forget.js";
import { loadRequest, type RecoveryParts } from "./recovery.js";

/** How long to wait before asking the store again. */
const RETRY_MS = 1_000;

export class Reloads {
  /** Request → attempts (id → executor) its executors are taken to still hold. */
  private readonly due = new Map<string, Map<string, string>>();
  private timer: TimerHandle | null = null;
  private running = false;
  /** The pass under way, if any. */
  private current: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly parts: RecoveryParts) {}

  /**
   * A transition of request `requestId` failed to commit with `err`; `held`, if given, is an attempt
   * whose executor keeps its result unacknowledged. The request is reloaded once the store answers.
   */
  request(requestId: string, err: unknown, held?: { executorId: string; attemptId: string }): void {
    if (this.stopped) return;
    let attempts = this.due.get(requestId);
    if (!attempts) {
      this.due.set(requestId, (attempts = new Map()));
      process.stderr.write(
        `tributary: request ${requestId} may no longer match the store (${(err as Error)?.message ?? String(err)}); it is reloaded once the store answers\n`,
      );
    }
    if (held) {
      attempts.set(held.attemptId, held.executorId);
      // Known now, not only when its reload starts: a reload of the request under way may read the
      // attempt's row (still running) after this, and must adopt it rather than run it again.
      this.adopt(new Map([[held.attemptId, held.executorId]]));
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

  private schedule(): void {
    if (this.timer || this.running || this.stopped) return;
    this.timer = this.parts.res.clock.setTimer(RETRY_MS, () => {
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
      for (const [id, held] of [...this.due]) {
        if (this.stopped) return;
        // Out of `due` while it reloads: a write of the request that fails meanwhile makes a new
        // entry, reloaded on the next pass, instead of joining a map this reload already read.
        this.due.delete(id);
        const done = await this.reload(id, held).catch(() => false as const);
        if (done !== true) this.requeue(id, held);
        if (done === false) break; // the store is still away
      }
    } finally {
      this.running = false;
      if (this.due.size > 0) this.schedule();
    }
  }

  /** `held` are adopted rather than given up when loaded: their executors still hold them (see the file comment). */
  private adopt(held: Map<string, string>): void {
    for (const [attemptId, executorId] of held) {
      const ex = this.parts.res.live.executors.get(executorId);
      if (ex?.link) ex.announced.add(attemptId);
    }
  }

  /** Puts back a reload that must be tried again, with what failed meanwhile. */
  private requeue(id: string, held: Map<string, string>): void {
    const since = this.due.get(id);
    if (since) for (const [attemptId, executorId] of held) since.set(attemptId, executorId);
    else this.due.set(id, held);
  }

  /**
   * False when the store did not answer (try again later); "later" when an attempt of the request
   * is being started (try this one again on the next pass).
   */
  private async reload(id: string, held: Map<string, string>): Promise<boolean | "later"> {
    const { res } = this.parts;
    const row = await res.store.getRequest(id);
    const cluster = res.cluster;
    // Taken over by another server meanwhile (its lease lapsed): that one runs it now.
    const mine = !cluster || (await res.store.notOwned(cluster.serverId, [id])).length === 0;
    const req = res.live.requests.get(id);
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
    // Ended: its calls still pending are cancelled, and its running attempts are told to stop and
    // stay live until their ends commit, as a wind-down does, so no attempt or call row stays `running`.
    const ended = row.status !== "pending" && row.status !== "running";
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
}
