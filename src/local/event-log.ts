/**
 * The event stream of one local request: an append-only list (seq 1, 2, 3…) that late readers replay
 * from the start and then follow live.
 *
 * Invariant: `request:finished` is the last event. Once it is appended the log is closed and any
 * later append (from abandoned user code of a timed-out or cancelled call) is dropped, so the stream
 * never shows activity after the outcome.
 */
import type { Clock } from "../core/clock.js";
import type { RequestEvent } from "../core/request.js";

/** What a caller supplies for an event; `seq` and `at` are assigned by the log. */
export type EventInput = Omit<RequestEvent, "seq" | "at">;

export class EventLog {
  private readonly list: RequestEvent[] = [];
  private waiters: (() => void)[] = [];
  private closed = false;

  constructor(private readonly clock: Clock) {}

  /** Appends an event unless the log is closed; returns it (or undefined when dropped). */
  append(ev: EventInput): RequestEvent | undefined {
    if (this.closed) return undefined;
    const full: RequestEvent = { seq: this.list.length + 1, at: this.clock.now(), ...ev };
    this.list.push(full);
    if (ev.kind === "request:finished") this.closed = true;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
    return full;
  }

  /** A snapshot of every event so far. */
  all(): RequestEvent[] {
    return [...this.list];
  }

  /** Every event from the first, then live ones; ends after `request:finished`. */
  async *follow(): AsyncGenerator<RequestEvent> {
    let i = 0;
    for (;;) {
      while (i < this.list.length) {
        const ev = this.list[i++]!;
        yield ev;
        if (ev.kind === "request:finished") return;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}
