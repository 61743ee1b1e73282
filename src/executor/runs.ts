/**
 * The executor's side of runs (the server's `assign-run`; engine/runs.ts): a run's items share
 * one container, which gets them all at once (`runs`) and runs them one after another. Here an
 * item starts (timer, meter, `started`) as the previous item's result comes, or as the container
 * first speaks for it.
 *
 * Invariants:
 * - one call at a time per container: a run's container goes back to the pool only once no item
 *   of it is running there (`finish` in results.ts checks the container's current attempt);
 * - an item that never started ends with `notStarted` (the server returns its call to pending
 *   without counting a retry): its container died or is being stopped, or an item ahead of it
 *   started waiting on a child call and the container gave the queue back (`dropped`);
 * - nothing more starts on a container whose running item is stopping (timed out or cancelled):
 *   its queue is given back at once, and whatever the container says for those items is ignored.
 */
import { plainError } from "../core/errors.js";
import type { RunMessage } from "../core/wire/container.js";
import type { Assignment } from "../core/wire/executor.js";
import { newRun, type AttemptRun, type RunQueue } from "./attempt-run.js";
import type { ContainerProcess } from "./container-process.js";

export interface RunDeps {
  attempts: Map<string, AttemptRun>;
  /** A container for `run` (null: it failed, and `run` with it). */
  acquire(run: AttemptRun): Promise<{ container: ContainerProcess } | null>;
  /** `run` starts on `c` now. */
  arm(run: AttemptRun, c: ContainerProcess): void;
  /** Ends `run` unstarted: the server gives its call back without counting a retry. */
  giveBack(run: AttemptRun, why: string): void;
  /** The container back to the pool (nothing runs on it). */
  release(c: ContainerProcess): void;
  /** A run's items are about to go to `c` (its log attribution starts afresh). */
  handOver(c: ContainerProcess): void;
  runMessage(a: Assignment, c: ContainerProcess): RunMessage;
}

export class Runs {
  constructor(private readonly d: RunDeps) {}

  /** A run from the server: its items go to one container, the first one starting now. */
  async assign(as: Assignment[]): Promise<void> {
    const items = as.filter((a) => !this.d.attempts.has(a.attemptId)).map(newRun);
    if (!items.length) return;
    const queue: RunQueue = { items, container: null };
    for (const r of items) {
      r.queue = queue;
      this.d.attempts.set(r.a.attemptId, r);
    }
    const got = await this.d.acquire(items[0]!);
    if (!got) return this.abandon(queue, "its run could not get a container");
    const c = got.container;
    // The items are not roots: none has an input file. Those cancelled meanwhile are left out.
    const left = items.filter((r) => !r.finished);
    if (!left.length) return this.d.release(c);
    queue.container = c;
    this.d.handOver(c);
    c.send({ t: "runs", runs: left.map((r) => this.d.runMessage(r.a, c)) });
    this.next(queue, c);
  }

  /** The item of `q` that runs on `c` now: the first neither started nor finished, if any. */
  next(q: RunQueue, c: ContainerProcess): void {
    const run = q.items.find((r) => !r.finished && !r.container);
    if (run) this.d.arm(run, c);
  }

  /**
   * The container `c` speaks for `run` (any message): an item of its run it has started, normally
   * armed here already by the previous item's result. Items of a run given back (`queue` cleared)
   * are never armed: their container is being stopped, or gave them back.
   */
  spokeFor(run: AttemptRun, c: ContainerProcess): void {
    if (run.queue && !run.container && !run.finished && run.queue.container === c) this.d.arm(run, c);
  }

  /** Ends the items of `q` that have not started: they go back to the server, not started. */
  abandon(q: RunQueue, why: string): void {
    for (const r of q.items) r.queue = undefined;
    for (const r of q.items) if (!r.finished && !r.container) this.d.giveBack(r, why);
  }

  /** The container gave back the queued items of its run (one of them waits on a child call). */
  dropped(c: ContainerProcess, attemptIds: string[]): void {
    for (const id of attemptIds) {
      const run = this.d.attempts.get(id);
      if (!run?.queue || run.queue.container !== c) continue;
      return this.abandon(run.queue, "handed back unstarted: an earlier item of its run waits on a child call");
    }
  }

  /**
   * `run` is being stopped (timeout, cancel, kill). Running: its container will be killed, so the
   * items behind it go back now and nothing more starts there. Queued: it leaves its container's
   * queue (an `abort` of a queued item removes it there).
   */
  stopping(run: AttemptRun, why: "timeout" | "cancelled"): void {
    const q = run.queue;
    if (!q) return;
    if (run.container) return this.abandon(q, "its container was stopped before the item started");
    q.container?.send({ t: "abort", attemptId: run.a.attemptId, reason: why });
  }
}

/** The `internal_error` an item given back unstarted reports, with the server's `notStarted`. */
export function notStartedError(run: AttemptRun, why: string) {
  return plainError("InternalError", `${run.a.functionName}: ${why}`, { functionName: run.a.functionName });
}
