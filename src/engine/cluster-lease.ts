/**
 * This server's lease in a cluster (DESIGN.md §3 "Leases"): renewed every third of the lease with
 * the capability summary of the executors connected here; each renewal also answers the live peers
 * (with what their executors can run) and whether this server's lease had lapsed meanwhile.
 *
 * Invariant: while `held()` is false (the last lease written has run out: a long stall, or the
 * database was away), this server may have lost requests to others, so the engine acts on no
 * executor message and starts nothing until a renewal has told it which requests it still owns
 * (`whenHeld`).
 *
 * Dead servers' rows: at the first renewal and then once a minute, a live server deletes the rows
 * of servers whose lease ran out more than `deadServerRetentionMs` ago and that own no unfinished
 * request (`Store.removeDeadServers`; survivors take those over first). A missing row reads as a
 * lapsed lease everywhere, so this is housekeeping (a crashed server's id would stay forever;
 * each start has a new one), never a change of who runs what; several servers may do it at once.
 */
import type { Clock } from "../core/clock.js";
import type { Store } from "../store/types.js";
import { couldRun, viewsOf } from "./capabilities.js";
import type { ExecutorView, Requirements } from "./placement.js";

export interface LeaseOptions {
  serverId: string;
  leaseMs: number;
  /** What the executors connected here can run now (`capabilities.ts` summary). */
  capabilities: () => string | null;
  /** After a renewal found the lease had lapsed: drop the requests others took over. */
  onLapsed: () => Promise<void>;
  /** The set of live peers changed in size (0: this server is alone). */
  onPeers: (count: number) => void;
  /** How long after its lease ran out a dead server's row is kept (default `DEAD_SERVER_RETENTION_MS`). */
  deadServerRetentionMs?: number | undefined;
}

/** One hour: long enough to see in the table which server died and when, after an incident. */
export const DEAD_SERVER_RETENTION_MS = 3_600_000;
/** How often a server looks for dead servers' rows (and at its first renewal). */
const PRUNE_EVERY_MS = 60_000;

export class ClusterLease {
  private readonly startedAt: number;
  private lastRenew = 0;
  /** The lease last written reaches this (0 before the first renewal). */
  private until = 0;
  private renewing: Promise<void> | null = null;
  /** When this server last looked for dead servers' rows (null: not yet). */
  private lastPrune: number | null = null;
  /** A lapse was seen and the requests others took over are not dropped yet. */
  private checkDue = false;
  private again = false;
  private readonly waiting: (() => void)[] = [];
  /** Live peers with the executor shapes they published (parsed once per distinct summary). */
  private peers = new Map<string, { summary: string | null; views: ExecutorView[] }>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly o: LeaseOptions,
  ) {
    this.startedAt = clock.now();
  }

  /** True while the lease last written has not run out. */
  held(): boolean {
    return this.clock.now() < this.until;
  }

  /** A renewal is due (a third of the lease since the last one). */
  due(): boolean {
    return this.clock.now() - this.lastRenew >= this.o.leaseMs / 3;
  }

  /** Runs `f` now while the lease holds, else after the next successful renewal. */
  whenHeld(f: () => void): void {
    if (this.held()) return f();
    this.waiting.push(f);
    void this.renew();
  }

  /** Whether a live peer's executors could ever run a call with requirements `r`. */
  peerCanRun(r: Requirements): boolean {
    for (const p of this.peers.values()) if (couldRun(r, p.views)) return true;
    return false;
  }

  /** The executor shapes every live peer published. */
  peerViews(): ExecutorView[] {
    return [...this.peers.values()].flatMap((p) => p.views);
  }

  /** How many live peers the last renewal saw. */
  get peerCount(): number {
    return this.peers.size;
  }

  /** Renews now (coalesced: a renewal asked for while one runs runs once more after it). */
  renew(): Promise<void> {
    if (this.renewing) {
      this.again = true;
      return this.renewing;
    }
    this.renewing = (async () => {
      do {
        this.again = false;
        await this.renewOnce();
      } while (this.again);
    })().finally(() => (this.renewing = null));
    return this.renewing;
  }

  private async renewOnce(): Promise<void> {
    const now = this.clock.now();
    const first = this.lastRenew === 0;
    let lapsed: boolean;
    try {
      const r = await this.store.renewServerLease(
        this.o.serverId,
        this.startedAt,
        now,
        now + this.o.leaseMs,
        this.o.capabilities(),
      );
      lapsed = r.lapsed && !first;
      const before = this.peers.size;
      const next = new Map<string, { summary: string | null; views: ExecutorView[] }>();
      for (const p of r.peers) {
        const known = this.peers.get(p.id);
        next.set(
          p.id,
          known?.summary === p.capabilities ? known : { summary: p.capabilities, views: viewsOf(p.capabilities) },
        );
      }
      this.peers = next;
      if (first || before !== next.size) this.o.onPeers(next.size);
    } catch (e) {
      process.stderr.write(`tributary: renewing this server's lease failed: ${(e as Error).message}\n`);
      return;
    }
    if (lapsed) {
      this.checkDue = true;
      process.stderr.write(
        `tributary: this server's lease lapsed (${now - this.lastRenew} ms since the last renewal, lease ${this.o.leaseMs} ms); dropping the requests other servers took over\n`,
      );
    }
    if (this.checkDue) {
      try {
        await this.o.onLapsed();
        this.checkDue = false;
      } catch (e) {
        // Not known which requests are still ours: stay unheld, the next renewal checks again.
        process.stderr.write(`tributary: checking this server's requests failed: ${(e as Error).message}\n`);
        return;
      }
    }
    this.lastRenew = now;
    this.until = now + this.o.leaseMs;
    for (const f of this.waiting.splice(0)) f();
    if (this.lastPrune === null || now - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = now;
      await this.removeDeadServers(now);
    }
  }

  /** Deletes the rows of servers dead longer than the retention that own nothing unfinished. */
  private async removeDeadServers(now: number): Promise<void> {
    const retention = this.o.deadServerRetentionMs ?? DEAD_SERVER_RETENTION_MS;
    try {
      const gone = await this.store.removeDeadServers(now - retention);
      if (gone.length === 0) return;
      process.stderr.write(
        `tributary: removed the rows of ${gone.length} server(s) whose lease ran out over ${retention} ms ago and that own no unfinished request: ${gone.join(", ")}\n`,
      );
    } catch (e) {
      // Housekeeping only: the next round tries again.
      process.stderr.write(`tributary: removing dead servers' rows failed: ${(e as Error).message}\n`);
    }
  }
}
