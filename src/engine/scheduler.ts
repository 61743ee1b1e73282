/**
 * The scheduler: pending calls wait here until their backoff has passed and an executor has room.
 *
 * Ready calls are grouped by what placement depends on (their requirements, and their maxContainers
 * key): calls in one group are interchangeable for placement, so a pass places from the head of each
 * group until the group must wait, then moves on. A pass costs O(groups + calls placed), not
 * O(calls waiting), which keeps a 10,000-item map linear.
 *
 * Invariants: triggers are coalesced into one pass per microtask checkpoint (`pump`); a call is in a group
 * only while pending and past its `notBefore` (removal is lazy: a popped call no longer pending is
 * skipped); FIFO within a group.
 */
import type { FunctionSpec } from "../core/options.js";
import type { AppVersion, LiveCall } from "./model.js";
import { couldRun } from "./capabilities.js";
import { maxContainersReason, place, type ExecutorView, type Requirements } from "./placement.js";
import type { EngineResources } from "./resources.js";

/**
 * What the scheduler hands its decisions to (attempts.ts starts, call-end.ts fails the unplaceable).
 * A port rather than an import: those parts call back into the scheduler, and imports point one way.
 */
export interface Placer {
  /** Start `c` on `executorId` now; its capacity must be reserved before this returns. */
  start(c: LiveCall, executorId: string, gpus: string[]): void;
  /** Start `calls` as one run (runs.ts) on `executorId`: one reservation, made before this returns. */
  startRun(calls: LiveCall[], executorId: string): void;
  /** No connected executor can ever run `c`: fail it with `constraint_unsatisfiable`. */
  unplaceable(c: LiveCall, reason: string): void;
}

interface Group {
  key: string;
  req: Requirements;
  /** Calls made by another call (they go first, and only they may break a waiting deadlock). */
  child: boolean;
  /** maxContainers key and limit, when the function sets one. */
  limitKey: string | null;
  limit: number | null;
  queue: LiveCall[];
  head: number;
  /** Why the head waits (null while placeable). */
  reason: string | null;
}

export class Scheduler {
  private readonly groups = new Map<string, Group>();
  private readonly groupOf = new Map<string, Group>();
  /** Attempts running per maxContainers key. */
  private readonly running = new Map<string, number>();
  private scheduled = false;
  private stopped = false;
  private unsatisfiableTimer = false;

  constructor(
    private readonly res: EngineResources,
    private readonly placer: Placer,
  ) {}

  /**
   * Adds a pending call; it becomes ready at its `notBefore`. A call of a dropped request (stale
   * work, stale.ts) is not queued: what is pending of it is the reload's to queue.
   */
  enqueue(c: LiveCall): void {
    if (c.req.dropped) return;
    this.res.live.calls.set(c.id, c);
    c.req.pendingCalls.add(c.id);
    const wait = c.notBefore - this.res.clock.now();
    if (wait > 0) {
      c.backoff = this.res.clock.setTimer(wait, () => {
        c.backoff = undefined;
        if (c.req.pendingCalls.has(c.id)) this.ready(c);
      });
      return;
    }
    this.ready(c);
  }

  private ready(c: LiveCall): void {
    const req = this.requirements(c);
    const limitKey = c.spec.maxContainers !== null ? containerKey(c) : null;
    const child = c.parentCallId !== null;
    const key = `${child ? "c" : "r"}|${req.cpu}|${req.memory}|${req.disk}|${req.gpu?.join(",") ?? ""}|${req.region ?? ""}|${req.baseImage ?? ""}|${limitKey ?? ""}`;
    let g = this.groups.get(key);
    if (!g) {
      g = { key, req, child, limitKey, limit: c.spec.maxContainers, queue: [], head: 0, reason: null };
      this.groups.set(key, g);
    }
    g.queue.push(c);
    this.groupOf.set(c.id, g);
    this.pump();
  }

  /** Forgets a call that will not start (cancelled); its queue slot is skipped lazily. */
  remove(callId: string): void {
    this.res.live.calls.get(callId)?.backoff?.cancel();
    this.groupOf.delete(callId);
  }

  /**
   * Undoes `enqueue` for a call that will never run here (its creation was not stored, or its
   * request left this server): out of the queue, its request's pending set and the live calls.
   */
  withdraw(c: LiveCall): void {
    if (c.req.dropped) return; // withdrawn with its request (stale.ts): its id may be queued anew
    this.remove(c.id);
    c.req.pendingCalls.delete(c.id);
    this.res.live.calls.delete(c.id);
  }

  /** Why a pending call waits, if it does. */
  reasonOf(callId: string): string | null {
    const g = this.groupOf.get(callId);
    if (g) return g.reason;
    const c = this.res.live.calls.get(callId);
    if (c?.backoff) return `retrying after backoff, at ${new Date(c.notBefore).toISOString()}`;
    return null;
  }

  /** Bookkeeping for maxContainers: an attempt of `c` started / ended. */
  started(c: LiveCall): void {
    if (c.spec.maxContainers === null) return;
    const k = containerKey(c);
    this.running.set(k, (this.running.get(k) ?? 0) + 1);
  }

  released(c: LiveCall): void {
    if (c.spec.maxContainers === null) return;
    const k = containerKey(c);
    const n = (this.running.get(k) ?? 1) - 1;
    if (n <= 0) this.running.delete(k);
    else this.running.set(k, n);
  }

  /**
   * Requests a scheduling pass once the current synchronous work is done (a microtask: every call
   * enqueued by one step, such as the items of a map, joins one pass, without waiting a whole tick).
   */
  pump(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      // A stalled server starts nothing until it knows which requests are still its own.
      if (this.res.cluster) this.res.cluster.whenHeld(() => this.drain());
      else this.drain();
    });
  }

  stop(): void {
    this.stopped = true;
    for (const c of this.res.live.calls.values()) c.backoff?.cancel();
  }

  /** Whether an executor connected here could ever run `spec` of `app` (a cluster's claim check). */
  couldRunHere(spec: FunctionSpec, app: AppVersion): boolean {
    return couldRun(requirementsOf(spec, app), this.connectedViews());
  }

  /** Views of the executors connected here now. */
  connectedViews(): ExecutorView[] {
    return [...this.res.live.executors.values()].filter((e) => e.link !== null).map((e) => e.view);
  }

  requirements(c: LiveCall): Requirements {
    return requirementsOf(c.spec, c.req.app);
  }

  private drain(): void {
    if (this.stopped) return;
    const { live, clock, startedAt, options } = this.res;
    const views = [...live.executors.values()].map((e) => e.view);
    const now = clock.now();
    // Children first: they are what waiting parents need to finish and free their capacity.
    const groups = [...this.groups.values()].sort((x, y) => Number(y.child) - Number(x.child));
    let stuck: Set<string> | null = null;
    for (const g of groups) {
      for (;;) {
        const c = this.peek(g);
        if (!c) {
          this.groups.delete(g.key);
          break;
        }
        const full = g.limitKey ? maxContainersReason(g.limit, this.running.get(g.limitKey) ?? 0) : null;
        if (full) {
          g.reason = full;
          break;
        }
        const p = place(g.req, views);
        if (p.kind === "placed") {
          this.take(g);
          c.req.pendingCalls.delete(c.id);
          const run = this.runOf(g, c, p.executorId);
          if (run) this.placer.startRun(run, p.executorId);
          else this.placer.start(c, p.executorId, p.gpus);
          continue;
        }
        if (p.kind === "never" && now - startedAt >= options.unsatisfiableGraceMs && this.res.cluster) {
          // In a cluster, another server's executors may run it: the cluster part decides.
          const d = this.res.cluster.unrunnable(c, g.req, p.reason);
          if (d === "handed") continue; // c's request left this server (c is no longer queued)
          if (d === "fail") {
            this.take(g);
            c.req.pendingCalls.delete(c.id);
            this.placer.unplaceable(c, p.reason);
            continue;
          }
          g.reason = d.wait;
          break;
        }
        if (p.kind === "never" && now - startedAt >= options.unsatisfiableGraceMs) {
          // Nothing of this shape can ever run: fail the whole group fast.
          for (let x = this.take(g); x; x = this.take(g)) {
            x.req.pendingCalls.delete(x.id);
            this.placer.unplaceable(x, p.reason);
          }
          this.groups.delete(g.key);
          break;
        }
        if (p.kind === "never" && !this.unsatisfiableTimer) {
          // Re-check once the start-up grace (executors reconnecting) has passed.
          this.unsatisfiableTimer = true;
          clock.setTimer(options.unsatisfiableGraceMs - (now - startedAt) + 10, () => this.pump());
        }
        if (g.child && p.kind === "wait") {
          // Deadlock breaker (docs/semantics.md "Waiting never deadlocks"): blocked containers keep
          // their memory, so parents can fill an executor while their children wait for room.
          // Where every attempt of an executor waits on children, one child goes on top anyway.
          stuck ??= this.stuckExecutors();
          const forced = stuck.size
            ? place(
                g.req,
                views.filter((v) => stuck!.has(v.id)),
                { overcommit: true },
              )
            : null;
          if (forced?.kind === "placed") {
            stuck.delete(forced.executorId);
            this.take(g);
            c.req.pendingCalls.delete(c.id);
            this.placer.start(c, forced.executorId, forced.gpus);
            continue;
          }
        }
        g.reason = p.reason;
        break;
      }
    }
  }

  /**
   * The run `c` (just taken from `g`) heads on `executorId` (runs.ts): `c` and the calls that join
   * it from the head of `g`, or null when it runs alone.
   */
  private runOf(g: Group, c: LiveCall, executorId: string): LiveCall[] | null {
    if (!g.child || g.limitKey) return null;
    const n = this.res.runs.size(c, this.res.live.executors.get(executorId), g.queue.length - g.head);
    const run = [c];
    while (run.length < n) {
      const x = this.peek(g);
      if (!x || !this.res.runs.joins(c, x)) break;
      this.take(g);
      x.req.pendingCalls.delete(x.id);
      run.push(x);
    }
    return run.length > 1 ? run : null;
  }

  /** Executors that run attempts and all of them wait on children: nothing there can progress. */
  private stuckExecutors(): Set<string> {
    const busy = new Set<string>();
    const waiting = new Set<string>();
    for (const a of this.res.live.attempts.values())
      // An item queued in a run behind one that waits on children waits with it.
      (a.blocking > 0 || a.share?.cpuHeld === false ? waiting : busy).add(a.executorId);
    for (const id of busy) waiting.delete(id);
    return waiting;
  }

  /** The first call of the group still pending (skipping removed ones), without taking it. */
  private peek(g: Group): LiveCall | undefined {
    while (g.head < g.queue.length) {
      const c = g.queue[g.head]!;
      if (this.groupOf.get(c.id) === g && c.req.pendingCalls.has(c.id)) return c;
      g.head++;
    }
    g.queue = [];
    g.head = 0;
    return undefined;
  }

  private take(g: Group): LiveCall | undefined {
    const c = this.peek(g);
    if (!c) return undefined;
    g.head++;
    this.groupOf.delete(c.id);
    g.reason = null;
    // Compact now and then so a long-lived group does not keep every call it ever saw.
    if (g.head > 1024 && g.head * 2 > g.queue.length) {
      g.queue = g.queue.slice(g.head);
      g.head = 0;
    }
    return c;
  }
}

/** What placing a call of `s` in `app` requires. */
export function requirementsOf(s: FunctionSpec, app: AppVersion): Requirements {
  return {
    cpu: s.cpu,
    memory: s.memory,
    disk: s.ephemeralDisk,
    gpu: s.gpu,
    region: s.region ?? app.appSpec.region,
    baseImage: s.image?.baseImage ?? null,
  };
}

/** What maxContainers counts: one function (or class) of one application version. */
function containerKey(c: LiveCall): string {
  return `${c.req.namespace}/${c.req.application}@${c.req.app.version}/${c.spec.className ?? c.functionName}`;
}
