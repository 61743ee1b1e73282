/**
 * The cron ticker of one server (DESIGN.md §2 Schedules). It sleeps until the soonest
 * `next_fire_time_ms` of the enabled schedules (no busy polling; at most `fallbackMs`, so schedules
 * created on another server are seen), then fires every due schedule:
 *
 * 1. invoke the application with the idempotency key `cron:<schedule id>:<tick ms>`;
 * 2. claim the tick (`claimCronTick`, a compare-and-set of `next_fire_time_ms`), moving it to the
 *    first tick after now.
 *
 * Invariants:
 * - One tick makes one request: every server racing for a tick invokes with the same key (the
 *   store refuses a second request for it) and exactly one wins the claim. Invoking before claiming
 *   means a server that dies between the two leaves the tick due, so a survivor fires it again and
 *   gets the same request back: no tick is lost and none is doubled.
 * - A tick missed while no server ran fires once: the key is the oldest missed tick, and the claim
 *   moves `next_fire_time_ms` past now, skipping the other missed ticks.
 * - A tick whose invoke is refused for a reason that will not go away (the application was deleted,
 *   its input no longer fits the schema) is skipped; a failure of the store is retried.
 */
import type { Clock, TimerHandle } from "../../core/clock.js";
import { EngineError, type InvokeInput } from "../../engine/index.js";
import type { CronScheduleRow, Store } from "../../store/types.js";
import { parseCron } from "./expression.js";

export interface CronTickerOptions {
  store: Pick<Store, "listEnabledCronSchedules" | "claimCronTick">;
  /** The engine façade's invoke. */
  invoke(
    namespace: string,
    application: string,
    input: InvokeInput,
    idempotencyKey: string,
  ): Promise<{ requestId: string }>;
  clock: Clock;
  /** The longest sleep, so schedules changed on another server are seen (default 30 s). */
  fallbackMs?: number;
  /** Delay before retrying after a store or engine failure (default 5 s). */
  retryMs?: number;
  /** Where a skipped tick or a failure is reported (default: stderr). */
  log?: (line: string) => void;
}

/** The idempotency key of one tick of one schedule. */
export const tickKey = (scheduleId: string, tickMs: number): string => `cron:${scheduleId}:${tickMs}`;

/**
 * Starts the ticker; `changed()` makes it re-read the schedules now (after a create or delete).
 *
 * @example
 * const ticker = startCronTicker({ store, clock: systemClock, invoke: (ns, app, input, key) => engine.invoke(ns, app, input, key) });
 * // … after POST …/cron-schedules:
 * ticker.changed();
 * await ticker.stop();
 */
export function startCronTicker(o: CronTickerOptions): CronTicker {
  const fallbackMs = o.fallbackMs ?? 30_000;
  const retryMs = o.retryMs ?? 5_000;
  const log = o.log ?? ((line: string) => process.stderr.write(`tributary server: cron: ${line}\n`));
  let timer: TimerHandle | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  const arm = (ms: number): void => {
    timer?.cancel();
    timer = stopped ? null : o.clock.setTimer(Math.max(0, Math.min(ms, fallbackMs)), wake);
  };

  /** Fires one due schedule; false when a failure worth retrying happened. */
  const fire = async (s: CronScheduleRow, now: number): Promise<boolean> => {
    const tick = s.nextFireTimeMs;
    let next: number;
    try {
      next = parseCron(s.cronExpression).next(Math.max(now, tick));
    } catch (e) {
      // Stored expressions were validated on create; one that stops parsing (a library change)
      // must not wedge the loop, so it is reported and left alone.
      log(`schedule ${s.id}: ${(e as Error).message}`);
      return true;
    }
    const input: InvokeInput = {
      bytes: s.input?.inline ?? new Uint8Array(),
      contentType: s.input ? s.input.contentType : null,
    };
    try {
      await o.invoke(s.namespace, s.application, input, tickKey(s.id, tick));
    } catch (e) {
      if (!(e instanceof EngineError)) {
        log(`schedule ${s.id}: tick ${new Date(tick).toISOString()} failed, retrying: ${(e as Error).message}`);
        return false;
      }
      log(`schedule ${s.id}: tick ${new Date(tick).toISOString()} skipped: ${e.message}`);
    }
    await o.store.claimCronTick(s.id, tick, next);
    return true;
  };

  const pass = async (): Promise<void> => {
    let delay = fallbackMs;
    try {
      const now = o.clock.now();
      let ok = true;
      for (const s of await o.store.listEnabledCronSchedules()) {
        if (s.nextFireTimeMs <= now) ok = (await fire(s, now)) && ok;
      }
      // Re-read: the claims above (ours or another server's) moved the due times.
      const soonest = (await o.store.listEnabledCronSchedules())[0];
      if (soonest) delay = Math.max(0, soonest.nextFireTimeMs - o.clock.now());
      if (!ok) delay = Math.min(delay, retryMs);
    } catch (e) {
      log(`reading schedules failed, retrying: ${(e as Error).message}`);
      delay = retryMs;
    }
    arm(delay);
  };

  function wake(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        await pass();
      } while (again && !stopped);
      running = null;
    })();
  }

  wake();
  return {
    changed: wake,
    async stop() {
      stopped = true;
      timer?.cancel();
      timer = null;
      await running;
    },
    idle: async () => {
      while (running) await running;
    },
  };
}

export interface CronTicker {
  /** Re-reads the schedules now (a schedule was created or deleted). */
  changed(): void;
  /** Stops the ticker, waiting for a pass in progress. */
  stop(): Promise<void>;
  /** Resolves when no pass is in progress (for tests). */
  idle(): Promise<void>;
}
