/**
 * Scale-out (DESIGN.md §3): this server as one of several equal servers on one database.
 *
 * Ownership by lease: a server runs the state machine of the requests it owns (`requests.owner`),
 * exactly as a lone server does, and renews its lease (`servers.lease_until`) every third of the
 * lease. A server with connected executors claims, in batches, requests that are unowned (invoked
 * on a server whose executors could not run them) or whose owner's lease ran out (it died), and
 * loads each with the per-request recovery. Claims run on a hint (`w`), when executors connect,
 * and on a short poll.
 *
 * Takeover: an executor that fails over here re-announces its running attempts; the ones this
 * server does not track are "foreign". Their requests are claimed first once their owner's lease
 * runs out, and the attempts are adopted on the executor (which then re-sends its RPCs and
 * results). A foreign attempt the store no longer has running is stopped and acknowledged.
 * Adopted attempts no connected executor re-announces are retried as infrastructure faults after
 * the executor grace (executors.ts).
 */
import type { RequestRow } from "../store/types.js";
import type { ClusterHints } from "./cluster-hints.js";
import { loadRequest, type RecoveryParts } from "./recovery.js";
import type { ClusterOptions, ClusterPort } from "./resources.js";

const BATCH = 50;
/** A request this server claimed but could never place is left to others for this long. */
const SKIP_MS = 30_000;

export class Cluster implements ClusterPort {
  readonly serverId: string;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly startedAt: number;
  private timer: { cancel(): void } | null = null;
  private lastRenew = 0;
  private claiming = false;
  /** Since when no executor is connected here (null while one is). */
  private alone: number | null = null;
  private claimAgain = false;
  private stopped = false;
  /** Foreign attempt → the executor (connected here) that runs it. */
  private readonly foreignAttempts = new Map<string, string>();
  /** Requests of foreign attempts: claimed first, as soon as they are claimable. */
  private readonly wanted = new Set<string>();
  /** Requests given back because no executor here could ever run them, until when. */
  private readonly skipped = new Map<string, number>();

  constructor(
    private readonly parts: RecoveryParts,
    private readonly hints: ClusterHints,
    o: ClusterOptions,
  ) {
    this.serverId = o.serverId;
    this.leaseMs = o.leaseMs;
    this.pollMs = Math.max(50, Math.min(o.pollMs ?? 1_000, o.leaseMs / 3));
    this.startedAt = parts.res.clock.now();
  }

  async start(): Promise<void> {
    await this.renew();
    await this.hints.start();
    this.tick();
    this.claim();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.hints.stop();
    // A clean stop gives its requests back at once instead of after the lease.
    await this.parts.res.store.removeServer(this.serverId).catch(() => {});
  }

  work(): void {
    this.hints.work();
  }

  executorsChanged(): void {
    this.claim();
  }

  foreign(executorId: string, attemptIds: string[]): void {
    for (const id of attemptIds) this.foreignAttempts.set(id, executorId);
    void this.checkForeign(attemptIds).then(() => this.claim());
  }

  finishedHere(requestId: string): void {
    this.hints.finishedHere(requestId);
  }

  cancelOnOwner(requestId: string): void {
    this.hints.cancel(requestId);
  }

  /** Another server asks to cancel a request: done here if it runs here. */
  onCancelAsked(requestId: string): void {
    if (this.parts.res.live.requests.has(requestId)) void this.parts.requests.cancel(requestId).catch(() => {});
  }

  /** Another server finished (cancelled) a request: if it runs here, wind it down. */
  onFinishedElsewhere(requestId: string): void {
    if (this.parts.res.live.requests.has(requestId)) void this.parts.requests.finishedElsewhere(requestId);
  }

  /** Wakes claims (a hint said unowned work exists). */
  onWorkHint(): void {
    this.claim();
  }

  private tick(): void {
    if (this.stopped) return;
    this.timer = this.parts.res.clock.setTimer(this.pollMs, () => {
      void (async () => {
        if (this.parts.res.clock.now() - this.lastRenew >= this.leaseMs / 3) await this.renew();
        this.hints.poll();
        if (this.foreignAttempts.size) await this.checkForeign([...this.foreignAttempts.keys()]);
        await this.giveBackWhenAlone();
        this.claim();
      })().finally(() => this.tick());
    });
  }

  private async renew(): Promise<void> {
    const now = this.parts.res.clock.now();
    if (this.lastRenew > 0 && now > this.lastRenew + this.leaseMs)
      // Stalled (a long pause, or the database was away): other servers may have claimed requests
      // this one still runs. Compare-and-set transitions keep them from being finished twice.
      process.stderr.write(
        `tributary: this server's lease lapsed (${now - this.lastRenew} ms since the last renewal, lease ${this.leaseMs} ms); other servers may have taken over some of its requests\n`,
      );
    try {
      await this.parts.res.store.renewServerLease(this.serverId, this.startedAt, now + this.leaseMs);
      this.lastRenew = now;
    } catch (e) {
      process.stderr.write(`tributary: renewing this server's lease failed: ${(e as Error).message}\n`);
    }
  }

  /**
   * A server whose executors all left (failed over elsewhere) for longer than the grace holds no
   * running attempt any more (they were lost and retried): it gives its requests back, so servers
   * with executors claim and run them instead of leaving them pending here.
   */
  private async giveBackWhenAlone(): Promise<void> {
    const { live, clock, options, store } = this.parts.res;
    const now = clock.now();
    if ([...live.executors.values()].some((e) => e.link !== null)) {
      this.alone = null;
      return;
    }
    this.alone ??= now;
    if (now - this.alone < options.executorGraceMs || live.requests.size === 0) return;
    const ids = new Set<string>();
    for (const req of live.requests.values()) if (req.liveAttempts.size === 0 && !req.final) ids.add(req.id);
    if (ids.size === 0) return;
    try {
      await store.releaseRequests(this.serverId, [...ids]);
    } catch {
      return; // still ours: the next tick tries again
    }
    for (const c of [...live.calls.values()]) {
      if (!ids.has(c.req.id)) continue;
      this.parts.scheduler.remove(c.id);
      c.req.pendingCalls.delete(c.id);
      live.calls.delete(c.id);
    }
    for (const id of ids) live.requests.delete(id);
  }

  /** Foreign attempts the store no longer has running are stopped (and their results acknowledged). */
  private async checkForeign(ids: string[]): Promise<void> {
    const { store, live } = this.parts.res;
    for (const id of ids) {
      const executorId = this.foreignAttempts.get(id);
      if (executorId === undefined) continue;
      if (live.attempts.has(id)) {
        this.foreignAttempts.delete(id);
        continue;
      }
      const row = await store.getAttempt(id).catch(() => undefined);
      if (row === undefined) continue; // store away: try again on the next tick
      if (row && row.status === "running") {
        this.wanted.add(row.requestId);
        continue;
      }
      this.foreignAttempts.delete(id);
      const link = live.executors.get(executorId)?.link;
      // Given up while foreign, but its call now runs here (claimed meanwhile): a result the
      // executor holds may still finish the call (late-results.ts), so it is asked for again
      // (before the cancel, which stops the attempt if it still runs) instead of acknowledged.
      if (row && live.calls.has(row.callId)) link?.send({ t: "resend" });
      link?.send({ t: "cancel", attemptId: id });
      if (!row || !live.calls.has(row.callId)) link?.send({ t: "ack", attemptId: id });
    }
  }

  private claim(): void {
    if (this.stopped) return;
    if (this.claiming) {
      this.claimAgain = true;
      return;
    }
    const connected = [...this.parts.res.live.executors.values()].some((e) => e.link !== null);
    if (!connected) return;
    this.claiming = true;
    void (async () => {
      try {
        do {
          this.claimAgain = false;
          await this.claimBatch();
        } while (this.claimAgain && !this.stopped);
      } catch (e) {
        process.stderr.write(`tributary: claiming requests failed: ${(e as Error).message}\n`);
      } finally {
        this.claiming = false;
      }
    })();
  }

  private async claimBatch(): Promise<void> {
    const { store, clock } = this.parts.res;
    if (this.wanted.size) {
      const rows = await store.claimRequests(this.serverId, clock.now(), BATCH, [...this.wanted]);
      for (const r of rows) this.wanted.delete(r.id);
      await this.load(rows);
    }
    for (;;) {
      const rows = await store.claimRequests(this.serverId, clock.now(), BATCH);
      const gaveBack = await this.load(rows);
      // Given-back rows are claimable again at once: the next pass (not this loop) retries.
      if (rows.length < BATCH || gaveBack || this.stopped) return;
    }
  }

  /** Loads claimed requests; true when some were given back. */
  private async load(rows: RequestRow[]): Promise<boolean> {
    const now = this.parts.res.clock.now();
    const giveBack: string[] = [];
    for (const row of rows) {
      const until = this.skipped.get(row.id);
      if ((until !== undefined && until > now) || (row.status === "pending" && !(await this.runnable(row)))) {
        if (until === undefined || until <= now) this.skipped.set(row.id, now + SKIP_MS);
        giveBack.push(row.id);
        continue;
      }
      this.skipped.delete(row.id);
      await loadRequest(this.parts, row);
    }
    if (giveBack.length) await this.parts.res.store.releaseRequests(this.serverId, giveBack);
    return giveBack.length > 0;
  }

  /** Whether the executors connected here could ever run a pending request's root call. */
  private async runnable(row: RequestRow): Promise<boolean> {
    const app = await this.parts.apps.get(row.namespace, row.application, row.version);
    const spec = app?.functions.get(row.application);
    return !app || !spec || this.parts.scheduler.couldRunHere(spec, app);
  }
}
