/**
 * Who waits on a child call's outcome: a parent attempt's RPC, one slot of a map, or the next step
 * of a reduce (children.ts, map-reduce.ts). A waiter is registered by the call's id and handed the
 * outcome once, when the call ends (`settle`).
 *
 * Invariants:
 * - `settle` hands an outcome to every waiter of the call and drops them all, so none is called
 *   twice;
 * - a waiter registered for a call that will never be answered here (its creation was not stored,
 *   its request left this server) is dropped (`unwait`, `forget`), so nothing holds it.
 */
import type { PlainError } from "../core/errors.js";
import type { FailureReason } from "../core/status.js";

export type CallOutcome = { ok: true; value: Uint8Array } | { ok: false; reason: FailureReason; error: PlainError };
/** A refusal: the error belongs to the calling attempt itself, not to a child. */
type Refusal = { ok: false; own: true; error: PlainError };
export type Outcome = CallOutcome | Refusal;
export type Waiter = (o: Outcome) => void;

export class ChildWaiters {
  private readonly waiters = new Map<string, Waiter[]>();

  /** Hands a finished call's outcome to everything waiting on it. */
  settle(callId: string, o: CallOutcome): void {
    const list = this.waiters.get(callId);
    if (!list) return;
    this.waiters.delete(callId);
    for (const w of list) w(o);
  }

  /** Drops what waits on a call (nothing here will answer it). */
  forget(callId: string): void {
    this.waiters.delete(callId);
  }

  wait(callId: string, w: Waiter): void {
    const list = this.waiters.get(callId);
    if (list) list.push(w);
    else this.waiters.set(callId, [w]);
  }

  /** Drops one waiter of a call, the others stay. */
  unwait(callId: string, w: Waiter): void {
    const list = this.waiters.get(callId)?.filter((x) => x !== w);
    if (list?.length) this.waiters.set(callId, list);
    else this.waiters.delete(callId);
  }
}
