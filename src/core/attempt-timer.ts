/**
 * The timeout of one attempt (docs/semantics.md), shared by the executor and the local runner. Time comes
 * from the injected `Clock`, so tests drive it with a fake clock.
 *
 * States: running (deadline = last start/reset + timeout) ⇄ paused (waiting on ≥ 1 child call).
 * - starts when the function starts;
 * - `reset()` (a progress update) sets the deadline to a full timeout again;
 * - `pause()`/`resume()` nest: the clock stops while any child call is in flight and restarts at the
 *   full timeout when the last result arrives;
 * - `stop()` is final.
 */
import type { Clock, TimerHandle } from "./clock.js";

export class AttemptTimer {
  private handle: TimerHandle | null = null;
  private waiting = 0;
  private stopped = false;
  /** Deadline in clock ms, or null while paused/stopped. */
  deadline: number | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs: number,
    private readonly onExpire: () => void,
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

  private arm(): void {
    if (this.stopped) return;
    this.disarm();
    this.deadline = this.clock.now() + this.timeoutMs;
    this.handle = this.clock.setTimer(this.timeoutMs, () => {
      this.handle = null;
      if (this.stopped || this.waiting > 0) return;
      this.stopped = true;
      this.onExpire();
    });
  }

  private disarm(): void {
    this.handle?.cancel();
    this.handle = null;
    this.deadline = null;
  }
}
