/**
 * In-process fan-out of committed request events to live subscribers (SSE streams, runRemote).
 * Invariant: only events returned by a committed store transition are published, so a subscriber
 * never sees what the store does not hold. Subscribers dedupe by `seq` against the history they read.
 */
import type { RequestEvent } from "../core/request.js";

type Listener = (ev: RequestEvent) => void;

export class EventBus {
  private readonly listeners = new Map<string, Set<Listener>>();

  publish(requestId: string, events: readonly RequestEvent[] | null | undefined): void {
    if (!events || events.length === 0) return;
    const set = this.listeners.get(requestId);
    if (!set) return;
    for (const ev of events) for (const l of set) l(ev);
  }

  /** Returns the unsubscribe function. */
  subscribe(requestId: string, l: Listener): () => void {
    let set = this.listeners.get(requestId);
    if (!set) this.listeners.set(requestId, (set = new Set()));
    set.add(l);
    return () => {
      set!.delete(l);
      if (set!.size === 0) this.listeners.delete(requestId);
    };
  }
}
