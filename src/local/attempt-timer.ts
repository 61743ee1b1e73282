/**
 * The timeout of one attempt (DESIGN.md §2 "Timeouts"):
 *   - armed at the full timeout when the function starts;
 *   - `reset()` (a progress update) re-arms it at the full timeout;
 *   - paused while at least one child call of the attempt is in flight, re-armed at the full timeout
 *     when the last one settles;
 *   - `stop()` disarms it for good (the attempt is over).
 * Time comes from the injected `Clock`, never from raw timers, so tests drive it with a fake clock.
 */
import type { Clock, TimerHandle } from "../core/clock.js";

export class AttemptTimer {
  private handle: TimerHandle | null = null;
  private inFlight = 0;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs: number,
    private readonly onExpire: () => void,
  ) {}

  /** Arms the timer at the full timeout. */
  start(): void {
    this.arm();
  }

  /** A progress update: back to the full timeout (a paused timer stays paused). */
  reset(): void {
    if (this.inFlight === 0) this.arm();
  }

  /** A child call started: the clock stops while the attempt waits. */
  pause(): void {
    this.inFlight++;
    if (this.inFlight === 1) this.disarm();
  }

  /** A child call settled: when none is left, the clock restarts at the full timeout. */
  resume(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (this.inFlight === 0) this.arm();
  }

  stop(): void {
    this.stopped = true;
    this.disarm();
  }

  private arm(): void {
    this.disarm();
    if (this.stopped) return;
    this.handle = this.clock.setTimer(this.timeoutMs, () => {
      this.handle = null;
      if (!this.stopped) this.onExpire();
    });
  }

  private disarm(): void {
    this.handle?.cancel();
    this.handle = null;
  }
}
