/**
 * In-process fan-out of committed request events to live subscribers (SSE streams, runRemote).
 *
 * Invariants:
 * - Only events returned by a committed store transition are published, so a subscriber never
 *   sees what the store does not hold. Subscribers dedupe by `seq` against the history they read.
 * - Per request, events reach subscribers in seq order. Two writers of one request may see their
 *   commits settle out of seq order (a progress flush and a child call's creation in one group
 *   commit, each resuming after its own await); a subscriber deduping by seq would then drop the
 *   lower one. So, for a request whose first event this process published, an event past a gap is
 *   held until the gap's events arrive, or at most {@link HOLD_MS} (a gap nobody here will fill:
 *   the events were published elsewhere), then delivered in order.
 * - A request created in this process keeps a journal of its recent events (from seq 1, the last
 *   {@link JOURNAL_MAX} to twice that) until it finishes, so a subscriber that arrives right after the
 *   invoke (the SSE invoke, runRemote) replays them from memory instead of reading the store. A
 *   replay is offered only when the journal holds every event after the subscriber's position.
 */
import type { RequestEvent } from "../core/request.js";

type Listener = (ev: RequestEvent) => void;

/** Events kept per running request for replays; a request past this replays from the store. */
export const JOURNAL_MAX = 256;

/** Longest an event waits for a lower seq that has not been published yet. */
export const HOLD_MS = 50;

/** Delivery order of a request whose events this process published from seq 1. */
interface Order {
  /** The seq delivered next. */
  next: number;
  /** Events past a gap, sorted by seq. */
  held: RequestEvent[];
  timer: ReturnType<typeof setTimeout> | null;
}

interface Journal {
  events: RequestEvent[];
  /** Seq of `events[0]` (events before it were dropped past the cap). */
  firstSeq: number;
}

export class EventBus {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly journals = new Map<string, Journal>();
  private readonly orders = new Map<string, Order>();

  publish(requestId: string, events: readonly RequestEvent[] | null | undefined): void {
    if (!events || events.length === 0) return;
    let o = this.orders.get(requestId);
    if (!o) {
      // Only where this process saw seq 1 does it know every seq up to the newest one published.
      if (events[0]!.seq !== 1) return this.deliver(requestId, events);
      o = { next: 1, held: [], timer: null };
      this.orders.set(requestId, o);
    }
    if (o.held.length === 0 && events[0]!.seq === o.next) {
      // The usual case: in order, nothing held.
      o.next = events[events.length - 1]!.seq + 1;
      this.deliver(requestId, events);
    } else {
      for (const ev of events) if (ev.seq >= o.next) insertBySeq(o.held, ev);
      let n = 0;
      while (n < o.held.length && o.held[n]!.seq <= o.next) o.next = Math.max(o.next, o.held[n++]!.seq + 1);
      if (n > 0) this.deliver(requestId, o.held.splice(0, n));
      if (o.held.length > 0) this.holdFor(requestId, o);
      else if (o.timer) {
        clearTimeout(o.timer);
        o.timer = null;
      }
    }
  }

  private forgetOrder(requestId: string): void {
    const o = this.orders.get(requestId);
    if (!o || o.held.length > 0) return;
    if (o.timer) clearTimeout(o.timer);
    this.orders.delete(requestId);
  }

  /** Delivers what is held for `o` once {@link HOLD_MS} passed without the gap being filled. */
  private holdFor(requestId: string, o: Order): void {
    if (o.timer) return;
    o.timer = setTimeout(() => {
      o.timer = null;
      const held = o.held;
      o.held = [];
      if (held.length === 0) return;
      o.next = held[held.length - 1]!.seq + 1;
      this.deliver(requestId, held);
    }, HOLD_MS);
    o.timer.unref?.();
  }

  private deliver(requestId: string, events: readonly RequestEvent[]): void {
    // Nothing follows a request's end but late duplicates: its order is no longer needed.
    if (events[events.length - 1]!.kind === "request:finished") this.forgetOrder(requestId);
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
    // Trimmed to JOURNAL_MAX once twice that: a shift per event cost O(JOURNAL_MAX) each.
    if (j.events.length > 2 * JOURNAL_MAX) {
      j.events.splice(0, j.events.length - JOURNAL_MAX);
      j.firstSeq = j.events[0]!.seq;
    }
  }
}

/**
 * Inserts `ev` into `held`, kept sorted by seq. Events mostly come in seq order (an append); a
 * whole sort per publish made a large map's held events cost O(n log n) each (a map's items are
 * started and finished by many writers, whose commits settle out of seq order).
 */
function insertBySeq(held: RequestEvent[], ev: RequestEvent): void {
  let hi = held.length;
  if (hi === 0 || held[hi - 1]!.seq <= ev.seq) {
    held.push(ev);
    return;
  }
  let lo = 0;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (held[mid]!.seq <= ev.seq) lo = mid + 1;
    else hi = mid;
  }
  held.splice(lo, 0, ev);
}
