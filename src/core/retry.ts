/** Retry arithmetic shared by the local runner and the engine. */
import type { RetryPolicy } from "./options.js";
import { DEFAULTS } from "./options.js";

/** The policy in force: the function's own, else its application's, else no retries. */
export function effectivePolicy(fnPolicy: RetryPolicy | null, appPolicy: RetryPolicy | null): RetryPolicy {
  return fnPolicy ?? appPolicy ?? DEFAULTS.retries;
}

/** Delay in milliseconds before retry number `retry` (1 = the first retry). */
export function backoffMs(policy: RetryPolicy, retry: number): number {
  const seconds = Math.min(
    policy.initialDelay * Math.pow(policy.delayMultiplier, Math.max(0, retry - 1)),
    policy.maxDelay,
  );
  return Math.round(seconds * 1000);
}

/** Hard cap on attempts lost to infrastructure faults (executor lost, server restart). */
export const INFRA_RETRY_CAP = 5;
