/**
 * The timeout of one attempt (docs/semantics.md), shared by the executor, the local runner and the
 * container (which keeps a mirror of the executor's timer so `ctx.deadline` and `ctx.onDeadline`
 * need no message of their own). Time comes from the injected `Clock`, so tests drive it with a
 * fake clock.
 *
 * States: running (deadline = last start/reset + timeout) ⇄ paused (waiting on ≥ 1 child call).
 * - starts when the function starts;
 * - `reset()` (a progress update) sets the deadline to a full timeout again;
 * - `pause()`/`resume()` nest: the clock stops while any child call is in flight and restarts at the
 *   full timeout when the last result arrives;
 * - `stop()` is final.
 *
 * Every time the clock is armed a new timer cycle begins: each deadline handler is scheduled once
 * for that cycle, `beforeMs` ahead of the deadline. A progress update inside a handler re-arms the
 * clock, which starts the next cycle, so a handler that reports progress keeps the attempt alive.
 */
import type { Clock, TimerHandle } from "./clock.js";
import { SDKUsageError } from "./errors.js";

/** A deadline handler; errors it throws or rejects with are given to `onHandlerError`. */
export type DeadlineHandler = () => void | Promise<void>;

interface Registration {
  handler: DeadlineHandler;
  beforeMs: number;
  pending: TimerHandle | null;
}

export class AttemptTimer {
  private handle: TimerHandle | null = null;
  private waiting = 0;
  private stopped = false;
  private readonly handlers = new Set<Registration>();
  /** Deadline in clock ms, or null while paused/stopped. */
  deadline: number | null = null;

  constructor(
    private readonly clock: Clock,
    readonly timeoutMs: number,
    /** Null: a mirror that only tracks the deadline and runs handlers; no expiry timer is armed. */
    private readonly onExpire: (() => void) | null,
    private readonly onHandlerError: (e: unknown) => void = () => {},
  ) {}

  start(): void {
    this.arm();
  }

  reset(): void {
    if (this.waiting === 0) this.arm();
  }

  pause(): void {
    this.waiting++;
    if (this.waiting === 1) this.disarm();
  }

  resume(): void {
    if (this.waiting === 0) return;
    this.waiting--;
    if (this.waiting === 0) this.arm();
  }

  stop(): void {
    this.stopped = true;
    this.disarm();
  }

  /**
   * Runs `handler` once per timer cycle, `beforeMs` before the deadline (at once when less than
   * that is left). Returns the function that unsubscribes it.
   */
  onDeadline(handler: DeadlineHandler, beforeMs: number): () => void {
    const reg: Registration = { handler, beforeMs, pending: null };
    this.handlers.add(reg);
    if (this.deadline !== null) this.schedule(reg, this.deadline);
    return () => {
      reg.pending?.cancel();
      this.handlers.delete(reg);
    };
  }

  private arm(): void {
    if (this.stopped) return;
    this.disarm();
    const deadline = this.clock.now() + this.timeoutMs;
    this.deadline = deadline;
    const onExpire = this.onExpire;
    if (onExpire !== null)
      this.handle = this.clock.setTimer(this.timeoutMs, () => {
        this.handle = null;
        if (this.stopped || this.waiting > 0) return;
        this.stopped = true;
        onExpire();
      });
    for (const reg of this.handlers) this.schedule(reg, deadline);
  }

  private disarm(): void {
    this.handle?.cancel();
    this.handle = null;
    this.deadline = null;
    for (const reg of this.handlers) {
      reg.pending?.cancel();
      reg.pending = null;
    }
  }

  private schedule(reg: Registration, deadline: number): void {
    reg.pending?.cancel();
    reg.pending = this.clock.setTimer(Math.max(0, deadline - reg.beforeMs - this.clock.now()), () => {
      reg.pending = null;
      if (this.stopped || this.deadline !== deadline) return;
      try {
        Promise.resolve(reg.handler()).catch(this.onHandlerError);
      } catch (e) {
        this.onHandlerError(e);
      }
    });
  }
}

/** Bounds of the default `beforeMs`: 10 % of the timeout, within these. */
const DEFAULT_BEFORE_MIN_MS = 500;
const DEFAULT_BEFORE_MAX_MS = 30_000;

/**
 * How far ahead of the deadline a handler runs: `beforeMs` as given, or 10 % of the timeout within
 * 0.5–30 s. A value that is not less than the timeout would run the handler at once in every cycle.
 *
 * @example
 * deadlineLeadMs(300_000, undefined); // 30_000
 * deadlineLeadMs(3_000, undefined);   // 500
 */
export function deadlineLeadMs(timeoutMs: number, beforeMs: number | undefined): number {
  if (beforeMs === undefined) return Math.min(DEFAULT_BEFORE_MAX_MS, Math.max(DEFAULT_BEFORE_MIN_MS, timeoutMs / 10));
  if (beforeMs >= timeoutMs) {
    throw new SDKUsageError(
      `onDeadline 'beforeMs' (${beforeMs} ms) must be less than the function's timeout (${timeoutMs} ms)`,
    );
  }
  return beforeMs;
}
