/**
 * Forgetting requests that left this server (DESIGN.md §3): handed over to a server whose
 * executors can run them, given back, or taken over by another server while this one stalled past
 * its lease. Everything live of them goes: queued calls and their backoff timers, what waits on
 * their calls, and their attempts (capacity reservations released; an attempt still running on an
 * executor connected here is told to stop, as the new owner retries it where it runs the request).
 *
 * Invariants:
 * - after `forgetRequests` this server holds no state that could write to those requests: nothing
 *   of them is queued, tracked or waited on;
 * - their live entries are marked `dropped`: work begun on them before (an await under way) is
 *   stale and changes no live map, which may hold a reload's rebuild of them by then (stale.ts).
 */
import type { RecoveryParts } from "./recovery.js";

export function forgetRequests(
  parts: RecoveryParts,
  ids: ReadonlySet<string>,
  /**
   * False when this server keeps running the requests and adopts their attempts again at once
   * (reload.ts): their executors are told nothing.
   */
  stopAttempts = true,
): void {
  const { live } = parts.res;
  if (ids.size === 0) return;
  for (const id of ids) {
    const req = live.requests.get(id);
    if (!req) continue;
    for (const attemptId of [...req.liveAttempts]) {
      const a = live.attempts.get(attemptId);
      if (!a) continue;
      if (stopAttempts) live.executors.get(a.executorId)?.link?.send({ t: "cancel", attemptId });
      parts.reservations.release(a);
    }
  }
  for (const c of [...live.calls.values()]) {
    if (!ids.has(c.req.id)) continue;
    parts.scheduler.withdraw(c);
    parts.children.forget(c.id);
  }
  for (const id of ids) {
    const req = live.requests.get(id);
    if (req) req.dropped = true; // last: the releases and withdrawals above act on it as live
    live.requests.delete(id);
  }
}
