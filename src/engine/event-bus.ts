/**
 * In-process fan-out of committed request events to live subscribers (SSE streams, runRemote).
 *
 * Invariants:
 * - Only events returned by a committed store transition are published, so a subscriber never
 *   sees what the store does not hold. Subscribers dedupe by `seq` against the history they read.
 * - A request created in this process keeps a journal of its recent events (from seq 1, at most
 *   {@link JOURNAL_MAX} of them) until it finishes, so a subscriber that arrives right after the
 *   invoke (the SSE invoke, runRemote) replays them from memory instead of reading the store. A
 *   replay is offered only when the journal holds every event after the subscriber's position.
 */
import type { RequestEvent } from "../core/request.js";

type Listener = (ev: RequestEvent) => void;

/** Events kept per running request for replays; a request past this replays from the store. */
export const JOURNAL_MAX = 256;

interface Journal {
  events: RequestEvent[];
  /** Seq of `events[0]` (events before it were dropped past the cap). */
  firstSeq: number;
}

export class EventBus {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly journals = new Map<string, Journal>();

  publish(requestId: string, events: readonly RequestEvent[] | null | undefined): void {
    if (!events || events.length === 0) return;
    this.record(requestId, events);
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

  /**
   * Subscribes and first replays, synchronously and in order, every journaled event after
   * `afterSeq`; null (nothing subscribed) when the journal cannot cover that position, and the
   * caller must read the history from the store.
   * @example const off = bus.subscribeFrom(id, 0, write) ?? readHistoryThenSubscribe();
   */
  subscribeFrom(requestId: string, afterSeq: number, l: Listener): (() => void) | null {
    const j = this.journals.get(requestId);
    if (!j || j.firstSeq > afterSeq + 1) return null;
    for (const ev of j.events) if (ev.seq > afterSeq) l(ev);
    return this.subscribe(requestId, l);
  }

  private record(requestId: string, events: readonly RequestEvent[]): void {
    let j = this.journals.get(requestId);
    if (!j) {
      // Only a request whose first event this process published has a complete journal.
      if (events[0]!.seq !== 1) return;
      j = { events: [], firstSeq: 1 };
      this.journals.set(requestId, j);
    }
    for (const ev of events) {
      if (ev.kind === "request:finished") {
        // Finished: later subscribers read the outcome from the store; the journal's job is done.
        this.journals.delete(requestId);
        return;
      }
      j.events.push(ev);
    }
    if (j.events.length > JOURNAL_MAX) {
      j.events.splice(0, j.events.length - JOURNAL_MAX);
      j.firstSeq = j.events[0]!.seq;
    }
  }
}
