/**
 * Failed writes of a request that say nothing about the database being away or busy (a bug, a
 * refused value: src/store/unreachable.ts), counted per request for its reloads (reload.ts).
 *
 * Why: the reload re-runs the write path that failed (the call queued again is started again, the
 * attempt lost is given up again), and a write that fails for a reason of its own mostly fails the
 * same way again: reloaded at every pass, the request would be reloaded once a second for ever.
 * Some such errors may still pass (a conflict of a kind not known as transient), so the request is reloaded
 * a few times with a growing delay before the server gives up on it.
 *
 * Steps, by the number `n` of reloads such failures asked for (several before one reload count
 * once), each within {@link WINDOW_MS} of the one before:
 * - `n ≤ MAX_RELOADS`: reloaded after `RETRY_MS · 2^(n−1)` (1 s, 2 s, 4 s);
 * - `n = MAX_RELOADS + 1`: reloaded, failed first in the store with `internal_error` (what a
 *   client sees: the request failed, and why), so it winds down as any failed request;
 * - beyond (failing it did not commit either, or its wind-down fails): given up here, logged, its
 *   attempts told to stop; its rows stay as the store holds them.
 *
 * A failure of the database being away, or unable to take writes for now (too many connections, a
 * full disk, a deadlock: `storeTransient` in src/store/unreachable.ts), is not counted: the store
 * taking writes again is what the reload waits for, however long it takes.
 */
import type { Clock } from "../core/clock.js";
import { plainError, type PlainError } from "../core/errors.js";

/** Reloads of a request after failed writes of its own before it is failed. */
export const MAX_RELOADS = 3;
/**
 * A failure longer ago than this starts a new count. The tries of one write that keeps failing
 * follow each other within seconds (the reload, 1, 2 and 4 s apart, re-runs it at once), while a
 * long request may meet a passing error, mended by one reload, now and then: four of those must
 * not add up to a failed request.
 */
const WINDOW_MS = 60_000;

export type Step = "reload" | "fail" | "abandon";

export class Strikes {
  private readonly byRequest = new Map<string, { n: number; at: number; message: string }>();

  constructor(
    private readonly clock: Clock,
    /** The delay after the first failure; doubled at each one after it. */
    private readonly firstDelayMs: number,
  ) {}

  /** Counts a failure `err` of a write of request `id`; returns how long to wait before its next step. */
  add(id: string, err: unknown): number {
    const now = this.clock.now();
    const last = this.byRequest.get(id);
    const n = last && now - last.at <= WINDOW_MS ? last.n + 1 : 1;
    const message = (err as Error)?.message ?? String(err);
    this.byRequest.set(id, { n, at: now, message });
    if (n === 1)
      process.stderr.write(
        `tributary: a write of request ${id} failed: ${message}; it is reloaded and tried again at most ${MAX_RELOADS} times, then failed\n`,
      );
    return this.firstDelayMs * 2 ** (n - 1);
  }

  /** What the next reload of request `id` does. */
  step(id: string): Step {
    const n = this.byRequest.get(id)?.n ?? 0;
    return n <= MAX_RELOADS ? "reload" : n === MAX_RELOADS + 1 ? "fail" : "abandon";
  }

  /** The failure request `id` ends with at its `fail` step. */
  failure(id: string): PlainError {
    const s = this.byRequest.get(id);
    return plainError(
      "InternalError",
      `the server could not store a change to this request (${s?.n ?? 0} tries): ${s?.message ?? "unknown error"}`,
    );
  }

  /** Forgets the requests `keep` says are gone (neither live nor due): nothing more is counted for them. */
  prune(keep: (id: string) => boolean): void {
    for (const id of this.byRequest.keys()) if (!keep(id)) this.byRequest.delete(id);
  }
}
