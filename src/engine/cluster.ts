/**
 * Scale-out (DESIGN.md §3): this server as one of several equal servers on one database.
 *
 * Ownership by lease: a server runs the state machine of the requests it owns (`requests.owner`),
 * exactly as a lone server does, and renews its lease (cluster-lease.ts). A server with connected
 * executors claims, in batches, requests that are unowned or whose owner's lease ran out (it died),
 * and loads each with the per-request recovery. Claims run on a hint (`w`), when executors connect,
 * and on a short poll.
 *
 * Placement across servers: a server claims only requests its executors can run. A request is
 * unowned with `needs` (the requirements of its ready call) when the server that had it could not
 * run that call: a claim names the needs this server's executors meet, so a request nobody can run
 * is never claimed (no claim/give-back churn) until a capable executor connects somewhere. An
 * owner that finds a ready call no executor of its own can ever run hands the request over
 * (`unrunnable`) when nothing of it runs here; it fails the call as unsatisfiable only when no
 * live server's executors could run it (peers publish what theirs can with their lease).
 *
 * Takeover: an executor that fails over here re-announces its running attempts; the ones this
 * server does not track are "foreign". Their requests are claimed first once their owner's lease
 * runs out, and the attempts are adopted on the executor (which then re-sends its RPCs and
 * results). A foreign attempt the store no longer has running is stopped and acknowledged. When
 * the owner is alive (its executor moved here after a network fault or a short stall, shorter than
 * the lease), this server asks it for the request (`h` hint); the owner hands it over (store CAS,
 * then forgets it) when nothing of it runs on an executor still connected there, so the attempts
 * are adopted here instead of being given up after the grace and run again.
 * Adopted attempts no connected executor re-announces are retried as infrastructure faults after
 * the executor grace (executors.ts). A server whose lease lapsed (a stall) drops, on renewal, the
 * requests others took over, and acts on nothing until then (`ClusterLease.whenHeld`).
 */
import type { RequestRow } from "../store/types.js";
import { couldRun, needsKey, parseNeeds, summarize } from "./capabilities.js";
import type { ClusterHints } from "./cluster-hints.js";
import { ClusterLease } from "./cluster-lease.js";
import { forgetRequests } from "./cluster-forget.js";
import type { LiveCall } from "./model.js";
import { place, type Requirements } from "./placement.js";
import { loadRequest, type RecoveryParts } from "./recovery.js";
import type { ClusterOptions, ClusterPort } from "./resources.js";
import { requirementsOf } from "./scheduler.js";

const BATCH = 50;

export class Cluster implements ClusterPort {
  readonly serverId: string;
  readonly lease: ClusterLease;
  private readonly pollMs: number;
  /**
   * The head start a server that wants a dead owner's request (an executor connected here runs its
   * attempts, maybe holding their results) has over the others, which claim it only this long after
   * the lease ran out: two of its claim polls. Won by another server, the request's attempts would be
   * adopted on an executor not connected there, given up after the grace, and finished calls run
   * again (seen in npm run chaos --cluster).
   */
  private readonly headStartMs: number;
  private timer: { cancel(): void } | null = null;
  private claiming = false;
  /** Since when no executor is connected here (null while one is). */
  private alone: number | null = null;
  private claimAgain = false;
  private stopped = false;
  /** Foreign attempt → the executor (connected here) that runs it. */
  private readonly foreignAttempts = new Map<string, string>();
  /** Requests of foreign attempts: claimed first, as soon as they are claimable. */
  private readonly wanted = new Set<string>();
  /** Hand-overs whose release failed (store away): request → its needs, retried on the poll. */
  private readonly unreleased = new Map<string, string>();

  constructor(
    private readonly parts: RecoveryParts,
    private readonly hints: ClusterHints,
    o: ClusterOptions,
  ) {
    this.serverId = o.serverId;
    this.pollMs = Math.max(50, Math.min(o.pollMs ?? 1_000, o.leaseMs / 3));
    this.headStartMs = Math.round(2 * this.pollMs); // a bigint column compares with it
    this.lease = new ClusterLease(parts.res.store, parts.res.clock, {
      serverId: o.serverId,
      leaseMs: o.leaseMs,
      capabilities: () => summarize(parts.scheduler.connectedViews()),
      onLapsed: () => this.dropLost(),
      onPeers: (n) => hints.setAlone(n === 0),
      deadServerRetentionMs: o.deadServerRetentionMs,
    });
  }

  async start(): Promise<void> {
    await this.lease.renew();
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

  executorsChanged(): void {
    // Peers learn what this server's executors can run now (for their hand-overs).
    void this.lease.renew();
    this.claim();
  }

  whenHeld(f: () => void): void {
    this.lease.whenHeld(f);
  }

  unownedRequest(callId: string, r: Requirements): void {
    if (this.lease.peerCanRun(r)) return this.hints.work();
    void this.noExecutorAnywhere(callId, r).catch(() => {});
  }

  unrunnable(c: LiveCall, r: Requirements, reason: string): "handed" | "fail" | { wait: string } {
    const peer = this.lease.peerCanRun(r);
    if (c.req.liveAttempts.size === 0 && (peer || c.parentCallId === null)) {
      // Nothing of it runs here: it goes back to the pool, for a server whose executors can.
      const id = c.req.id;
      forgetRequests(this.parts, new Set([id]));
      void this.handOver(id, c.id, r, peer);
      return "handed";
    }
    if (!peer) return "fail";
    return { wait: `${reason} here; another server's executors can, but calls of this request run here` };
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

  /**
   * Server `to` runs attempts of these requests on executors that left this server: those that run
   * here and have nothing running on an executor still connected here are handed to it.
   */
  onHandOverAsked(to: string, requestIds: string[]): void {
    const { live } = this.parts.res;
    const eligible = requestIds.filter((id) => {
      const req = live.requests.get(id);
      if (!req || req.final || req.liveAttempts.size === 0) return false;
      for (const attemptId of req.liveAttempts) {
        const a = live.attempts.get(attemptId);
        if (a && live.executors.get(a.executorId)?.link) return false;
      }
      return true;
    });
    if (eligible.length === 0) return;
    this.lease.whenHeld(() => void this.transfer(to, eligible));
  }

  private async transfer(to: string, ids: string[]): Promise<void> {
    let moved: string[];
    try {
      moved = await this.parts.res.store.transferRequests(this.serverId, to, ids);
    } catch {
      return; // the store is away: the other server asks again on its next poll
    }
    if (moved.length === 0) return;
    process.stderr.write(
      `tributary: handed ${moved.length} request(s) over to server ${to}, where their executor reconnected\n`,
    );
    forgetRequests(this.parts, new Set(moved));
    this.hints.work();
  }

  /** Another server asks to cancel a request: done here if it runs here. */
  onCancelAsked(requestId: string): void {
    if (this.parts.res.live.requests.has(requestId)) void this.parts.requestEnd.cancel(requestId).catch(() => {});
  }

  /** Another server finished (cancelled) a request: if it runs here, wind it down. */
  onFinishedElsewhere(requestId: string): void {
    if (this.parts.res.live.requests.has(requestId)) void this.parts.requestEnd.finishedElsewhere(requestId);
  }

  /** Wakes claims (a hint said unowned work exists). */
  onWorkHint(): void {
    this.claim();
  }

  private tick(): void {
    if (this.stopped) return;
    this.timer = this.parts.res.clock.setTimer(this.pollMs, () => {
      void (async () => {
        if (this.lease.due()) await this.lease.renew();
        this.hints.poll();
        if (this.foreignAttempts.size) await this.checkForeign([...this.foreignAttempts.keys()]);
        for (const [id, needs] of [...this.unreleased]) await this.release(id, needs);
        await this.giveBackWhenAlone();
        this.claim();
      })().finally(() => this.tick());
    });
  }

  /** After a lapse: the requests another server claimed (or that were given back) are forgotten here. */
  private async dropLost(): Promise<void> {
    const { live, store } = this.parts.res;
    if (live.requests.size === 0) return;
    const lost = await store.notOwned(this.serverId, [...live.requests.keys()]);
    if (lost.length === 0) return;
    process.stderr.write(
      `tributary: ${lost.length} request(s) were taken over by other servers; forgetting them here\n`,
    );
    forgetRequests(this.parts, new Set(lost));
  }

  /** Gives a forgotten request back with its needs; says so on its call when no server can run it. */
  private async handOver(requestId: string, callId: string, r: Requirements, peer: boolean): Promise<void> {
    if (!peer) await this.noExecutorAnywhere(callId, r).catch(() => {});
    await this.release(requestId, needsKey(r));
    if (peer) this.hints.work();
  }

  private async release(requestId: string, needs: string): Promise<void> {
    try {
      await this.parts.res.store.releaseRequests(this.serverId, [requestId], needs);
      this.unreleased.delete(requestId);
    } catch {
      this.unreleased.set(requestId, needs); // still ours in the store: the poll retries
    }
  }

  /** The pending reason of a call no live server's executors can run (it waits, unowned). */
  private async noExecutorAnywhere(callId: string, r: Requirements): Promise<void> {
    const views = [...this.parts.scheduler.connectedViews(), ...this.lease.peerViews()];
    const p = place(r, views);
    const why = p.kind === "never" ? p.reason.replace(/^no executor can provide /, "") : "none is connected";
    await this.parts.res.store.transitionCall(
      callId,
      "pending",
      {
        status: "pending",
        pendingReason: `no executor in the cluster can run it (${why}); waiting for one to connect`,
      },
      [],
    );
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
    forgetRequests(this.parts, ids);
  }

  /** Foreign attempts the store no longer has running are stopped (and their results acknowledged). */
  private async checkForeign(ids: string[]): Promise<void> {
    const { store, live } = this.parts.res;
    const ask = new Set<string>();
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
        ask.add(row.requestId);
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
    // Its owner may be alive (the executor moved, the owner did not die): ask it for the request.
    if (ask.size) this.hints.askHandOver([...ask]);
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
    const needs = await this.needsMet();
    for (;;) {
      // A dead owner's requests only once its lease is `headStartMs` over (unowned ones at once).
      const rows = await store.claimRequests(this.serverId, clock.now() - this.headStartMs, BATCH, undefined, needs);
      await this.load(rows);
      if (rows.length < BATCH || this.stopped) return;
    }
  }

  /** The needs of claimable requests that the executors connected here meet. */
  private async needsMet(): Promise<string[]> {
    const views = this.parts.scheduler.connectedViews();
    const all = await this.parts.res.store.claimableNeeds(this.serverId, this.parts.res.clock.now());
    return all.filter((text) => {
      const r = parseNeeds(text);
      return r !== null && couldRun(r, views);
    });
  }

  /**
   * Loads claimed requests. A pending one whose root call no executor here can run (it had no
   * needs yet: its owner died, or stopped) goes back at once with its needs, so it is not claimed
   * again by a server that cannot run it.
   */
  private async load(rows: RequestRow[]): Promise<void> {
    for (const row of rows) {
      const r = row.status === "pending" ? await this.rootNeeds(row) : null;
      if (r && !couldRun(r, this.parts.scheduler.connectedViews())) {
        await this.handOver(row.id, row.rootCallId, r, this.lease.peerCanRun(r));
        continue;
      }
      await loadRequest(this.parts, row);
    }
  }

  /** What a request's root call requires (null when its application is gone: loading sorts it). */
  private async rootNeeds(row: RequestRow): Promise<Requirements | null> {
    const app = await this.parts.apps.get(row.namespace, row.application, row.version);
    const spec = app?.functions.get(row.application);
    return app && spec ? requirementsOf(spec, app) : null;
  }
}
