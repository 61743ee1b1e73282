/**
 * A manual `Clock` for tests: time moves only when the test says so, and timers fire in time order.
 *
 * Invariant: between two timer firings the fake clock lets pending promise callbacks and immediate
 * tasks run (`flush`), so code awaiting a fired timer has reacted before the next one fires — the
 * order a real clock would give.
 */
import type { Clock, TimerHandle } from "../core/clock.js";

interface FakeTimer {
  id: number;
  at: number;
  fn: () => void;
}

/** A `Clock` driven by the test. */
export interface FakeClock extends Clock {
  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): Promise<void>;
  /** Fires timers until none is left (or `maxTimers` fired, to stop runaway loops). */
  runAll(maxTimers?: number): Promise<void>;
  /** Advances timer by timer until `promise` settles; returns its result. */
  runUntil<T>(promise: Promise<T>, maxTimers?: number): Promise<T>;
  /** Lets pending promise callbacks and I/O-free immediates run. */
  flush(): Promise<void>;
  /** Number of armed timers. */
  pendingTimers(): number;
  /** When the next timer fires, or null. */
  nextTimerAt(): number | null;
}

/**
 * Creates a fake clock starting at `start` ms since the epoch (default 0).
 *
 * @example
 * const clock = createFakeClock();
 * const req = await runLocal(flaky, undefined, { clock });
 * await clock.runUntil(req.finished());
 */
export function createFakeClock(start = 0): FakeClock {
  let now = start;
  let nextId = 1;
  const timers: FakeTimer[] = [];

  const flush = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
  };
  const earliest = (): FakeTimer | undefined =>
    timers.reduce<FakeTimer | undefined>(
      (a, t) => (!a || t.at < a.at || (t.at === a.at && t.id < a.id) ? t : a),
      undefined,
    );
  const fireNext = async (limit: number): Promise<boolean> => {
    await flush();
    const t = earliest();
    if (!t || t.at > limit) return false;
    timers.splice(timers.indexOf(t), 1);
    now = Math.max(now, t.at);
    t.fn();
    await flush();
    return true;
  };

  return {
    now: () => now,
    setTimer(ms: number, fn: () => void): TimerHandle {
      const t: FakeTimer = { id: nextId++, at: now + Math.max(0, ms), fn };
      timers.push(t);
      return {
        cancel: () => {
          const i = timers.indexOf(t);
          if (i >= 0) timers.splice(i, 1);
        },
      };
    },
    async advance(ms: number): Promise<void> {
      const target = now + ms;
      while (await fireNext(target));
      now = Math.max(now, target);
      await flush();
    },
    async runAll(maxTimers = 10_000): Promise<void> {
      for (let i = 0; i < maxTimers; i++) if (!(await fireNext(Infinity))) return;
      throw new Error(`fake clock: more than ${maxTimers} timers fired; is something re-arming forever?`);
    },
    async runUntil<T>(promise: Promise<T>, maxTimers = 10_000): Promise<T> {
      let settled = false;
      const p = promise.finally(() => (settled = true));
      for (let i = 0; i < maxTimers && !settled; i++) {
        if (!(await fireNext(Infinity))) {
          await flush();
          if (!settled) throw new Error("fake clock: no timer left but the promise is still pending");
        }
      }
      return p;
    },
    flush,
    pendingTimers: () => timers.length,
    nextTimerAt: () => earliest()?.at ?? null,
  };
}
