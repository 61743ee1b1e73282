/**
 * An attempt's hold on its executor: from `track` to `release` the attempt is live here (in
 * `live.attempts` and its request's `liveAttempts`) and its cpu, memory, disk and GPUs are reserved
 * in the executor's view, which placement reads.
 *
 * Invariants:
 * - a reservation is made synchronously when the attempt is placed, so one scheduling pass cannot
 *   over-place, and it is given back (`release`) before the attempt's outcome is committed, so the
 *   next pass can use it;
 * - the items of a run (`share`) hold one reservation between them: the first item makes it, the
 *   last one to end gives it back;
 * - while an attempt waits on a child call its CPU is given back (`block` to `unblock`, as long as
 *   any blocking RPC of it is unanswered: children.ts); `cpuHeld` (the run's, for an item of a run)
 *   says whether the reservation still counts it;
 * - `release` is idempotent: only the first call for an attempt gives anything back, and only for
 *   the attempt object that is live: a reload may have adopted the attempt anew under the same id
 *   (stale.ts), and the object of before gives back nothing of it.
 */
import type { LiveAttempt, LiveCall, RunShare } from "./model.js";
import type { EngineResources } from "./resources.js";
import type { Scheduler } from "./scheduler.js";
import type { Telemetry } from "./telemetry.js";

export class Reservations {
  constructor(
    private readonly res: EngineResources,
    private readonly scheduler: Scheduler,
    private readonly telemetry: Telemetry,
  ) {}

  /**
   * Makes an attempt live on `executorId` and reserves its resources there: for a new attempt, and
   * for a running one found in the store after a restart. An item of a run reserves only as the
   * run's first (`share`).
   */
  track(id: string, number: number, c: LiveCall, executorId: string, gpus: string[], share?: RunShare): LiveAttempt {
    const e = this.res;
    const ex = e.live.executors.get(executorId)!;
    const a: LiveAttempt = {
      id,
      number,
      call: c,
      executorId,
      res: { cpu: c.spec.cpu, memory: c.spec.memory, disk: c.spec.ephemeralDisk, gpus },
      cpuHeld: true,
      blocking: 0,
      target: c.spec.className ? { kind: "class", name: c.spec.className } : { kind: "function", name: c.functionName },
      lastActivity: e.clock.now(),
      share,
    };
    if (!share || share.left++ === 0) {
      ex.view.used.cpu += a.res.cpu;
      ex.view.used.memory += a.res.memory;
      ex.view.used.disk += a.res.disk;
      for (const g of gpus) ex.view.gpusInUse.add(g);
    }
    e.live.attempts.set(a.id, a);
    c.req.liveAttempts.add(a.id);
    this.scheduler.started(c);
    return a;
  }

  /** A blocking RPC started: the attempt releases its CPU while it waits (no deadlock at depth). */
  block(a: LiveAttempt): void {
    this.res.runs.blocked(a.call);
    a.blocking++;
    // An item of a run holds the run's reservation (runs.ts): its CPU is the run's.
    const holder = a.share ?? a;
    if (a.blocking === 1 && holder.cpuHeld) {
      holder.cpuHeld = false;
      const ex = this.res.live.executors.get(a.executorId);
      if (ex) ex.view.used.cpu -= a.res.cpu;
      this.scheduler.pump();
    }
  }

  /**
   * A blocking RPC was answered (a sign of life): once the attempt waits on nothing its CPU counts
   * again, unless its reservation was given back meanwhile.
   */
  unblock(a: LiveAttempt): void {
    a.lastActivity = this.res.clock.now();
    if (a.blocking === 0) return;
    a.blocking--;
    const holder = a.share ?? a;
    if (a.blocking === 0 && !holder.cpuHeld && this.res.live.attempts.get(a.id) === a) {
      holder.cpuHeld = true;
      const ex = this.res.live.executors.get(a.executorId);
      if (ex) ex.view.used.cpu += a.res.cpu;
    }
  }

  /** Gives an attempt's reservation back to its executor. */
  release(a: LiveAttempt): void {
    const e = this.res;
    if (e.live.attempts.get(a.id) !== a) return;
    e.live.attempts.delete(a.id);
    this.telemetry.remember(a);
    a.call.req.liveAttempts.delete(a.id);
    this.scheduler.released(a.call);
    const ex = e.live.executors.get(a.executorId);
    const share = a.share;
    if (share && --share.left > 0) {
      // The run goes on with its other items: they keep the reservation, CPU included.
      if (!share.cpuHeld && a.blocking > 0) {
        share.cpuHeld = true;
        if (ex) ex.view.used.cpu += a.res.cpu;
      }
      return;
    }
    if (ex) {
      if ((share ?? a).cpuHeld) ex.view.used.cpu -= a.res.cpu;
      ex.view.used.memory -= a.res.memory;
      ex.view.used.disk -= a.res.disk;
      for (const g of a.res.gpus) ex.view.gpusInUse.delete(g);
    }
    this.scheduler.pump();
  }
}
