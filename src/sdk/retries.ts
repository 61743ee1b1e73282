import { checkRetries, type RetryPolicy } from "../core/options.js";

/** Options of {@link Retries}. Delays are in seconds. */
export interface RetriesOptions {
  /** Retries after the first attempt, 0–10. Default 0. */
  maxRetries?: number;
  /** Delay before the first retry, seconds. Default 1. */
  initialDelay?: number;
  /** Growth of the delay per retry. Default 2. */
  delayMultiplier?: number;
  /** Upper bound of the delay, seconds. Default 60. */
  maxDelay?: number;
}

/**
 * A retry policy: how many times a failed call runs again, and the backoff between attempts
 * (1 s, ×2, at most 60 s by default).
 *
 * @example
 * fn({ retries: new Retries({ maxRetries: 3 }) }, async function flaky() { ... });
 */
export class Retries implements RetryPolicy {
  readonly maxRetries: number;
  readonly initialDelay: number;
  readonly delayMultiplier: number;
  readonly maxDelay: number;
  constructor(options: RetriesOptions = {}) {
    const p = checkRetries("Retries", options, "Retries")!;
    this.maxRetries = p.maxRetries;
    this.initialDelay = p.initialDelay;
    this.delayMultiplier = p.delayMultiplier;
    this.maxDelay = p.maxDelay;
  }
}
