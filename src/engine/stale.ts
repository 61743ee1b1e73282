/**
 * Stale work: work of a request begun before its live state was dropped (cluster-forget.ts: a reload,
 * reload.ts, or a hand-over) and going on after an await: a result being committed, a child being
 * created, a map's items being journaled, a wind-down's cancels. The live objects it holds (request,
 * calls, attempts) are the dropped ones, while the live maps may already hold those a reload rebuilt
 * from the store under the same ids.
 *
 * Invariants:
 * - stale work changes no live map and no reservation: it checks `stale` after each await before it
 *   touches them, and the parts that own them refuse objects that are no longer the live ones
 *   (`Reservations.release`/`unblock`, `Scheduler.enqueue`/`withdraw`, `RequestEnd.maybeForget`,
 *   `Children.reply`); an RPC it was answering is re-sent by its executor after the reload;
 * - what it committed stands (its events are published), but the reload may have read the store
 *   before that commit landed: the request is then reloaded once more (`writeFailed`), which reads
 *   it, so the live state ends up matching the store.
 */
import type { LiveRequest } from "./model.js";
import { OutOfStep, type EngineResources } from "./resources.js";

/**
 * True when `req` was dropped since the work holding it began: the caller then changes no live
 * state. `wrote`: the work may have changed the request's rows meanwhile, so it is reloaded again.
 *
 * @example
 * const evs = await store.createCall(call, events);
 * if (stale(res, req, evs !== null)) return res.publish(req.id, evs);
 */
export function stale(res: EngineResources, req: LiveRequest, wrote = false): boolean {
  if (!req.dropped) return false;
  if (wrote) res.writeFailed(req.id, new OutOfStep("a write begun before its reload ended after it"));
  return true;
}
