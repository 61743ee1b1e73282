/**
 * How many containers to start for calls waiting on a pool key: the pool sizes itself to demand
 * instead of starting one container per concurrent call. A cold start costs `startMs` (hundreds of
 * milliseconds in a sandbox, and tens of megabytes for as long as the container lives), while a busy
 * container running short calls frees up every `runMs`; for trivial calls, queueing behind a warm
 * container beats starting a new one by orders of magnitude.
 *
 * The rule, per key, re-evaluated whenever something changes and on a short timer while calls wait:
 * - containers blocked on their own child calls will not free up soon, nor will any that has been
 *   busy for longer than a start takes: neither counts as "freeing soon";
 * - run time known and shorter than a start: each container freeing soon serves ⌊startMs/runMs⌋
 *   waiters within a start's time; start containers only for the waiters beyond that (and beyond
 *   those already starting);
 * - run time known and not shorter than a start: every waiter beyond those starting gets a start;
 * - run time unknown (no call of the key has finished yet): start one container and learn from it;
 *   once nothing is starting and nothing busy can be expected to free soon, start one per waiter.
 * Invariant: with waiters present and no container of the key alive or starting, at least one
 * starts, so a waiter never waits on nothing.
 */

/** A busy container of the key, as the rule sees it. */
export interface BusyContainer {
  /** How long its current call has run. */
  elapsedMs: number;
  /** It waits on child calls (it frees up only after they finish). */
  blocked: boolean;
}

export interface Demand {
  waiters: number;
  starting: number;
  busy: readonly BusyContainer[];
  /** Moving average of a call's run time on this key, or null before the first finished. */
  runMs: number | null;
  /** Moving average of a cold start (spawn → ready) on this key, or a default guess. */
  startMs: number;
}

/**
 * @example startsNeeded({ waiters: 9, starting: 0, busy: [{ elapsedMs: 1, blocked: false }], runMs: 2, startMs: 300 }); // 0
 */
export function startsNeeded(d: Demand): number {
  if (d.waiters <= 0) return 0;
  const freeingSoon = d.busy.filter((b) => !b.blocked && b.elapsedMs < d.startMs).length;
  if (d.runMs === null) {
    if (d.starting > 0 || freeingSoon > 0) return 0;
    return d.busy.length === 0 ? 1 : d.waiters;
  }
  const servedSoon =
    d.runMs < d.startMs ? freeingSoon * Math.max(1, Math.floor(d.startMs / Math.max(d.runMs, 0.01))) : 0;
  return Math.max(0, d.waiters - d.starting - servedSoon);
}

/** An exponentially weighted moving average: `prev` moved a fifth of the way to `sample`. */
export function ewma(prev: number | null, sample: number): number {
  return prev === null ? sample : prev + (sample - prev) / 5;
}
