/**
 * Durations read from the environment (`TRIBUTARY_LEASE_MS`, `TRIBUTARY_EXECUTOR_GRACE_MS`, …).
 *
 * A variable that is set must be a whole number of milliseconds in its range: a typo
 * (`TRIBUTARY_LEASE_MS=15s`) or a value out of range is an error naming the variable, never a
 * silent fall-back to the default, which would leave an operator believing a setting is in force.
 * Unset or empty means the default.
 */

/**
 * The variable's value in milliseconds, or `undefined` when it is unset or empty.
 *
 * @example
 * envMs("TRIBUTARY_LEASE_MS", 1000, 3_600_000) // 15000 with TRIBUTARY_LEASE_MS=15000; throws with "abc"
 */
export function envMs(
  name: string,
  min: number,
  max: number,
  env: Record<string, string | undefined> = process.env,
): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max)
    throw new Error(
      `${name}=${JSON.stringify(raw)} is invalid: expected an integer from ${min} to ${max} (milliseconds)`,
    );
  return n;
}

/** The ranges the server and the executor accept (the lease's matches `--lease-ms`). */
export const MS_RANGES = {
  TRIBUTARY_LEASE_MS: [1000, 3_600_000],
  TRIBUTARY_EXECUTOR_GRACE_MS: [0, 3_600_000],
  TRIBUTARY_UNSATISFIABLE_GRACE_MS: [0, 3_600_000],
  TRIBUTARY_SERVER_SILENCE_MS: [100, 3_600_000],
} as const satisfies Record<string, readonly [number, number]>;

/** `envMs` for one of the variables of `MS_RANGES`. */
export function envSetting(name: keyof typeof MS_RANGES, env?: Record<string, string | undefined>): number | undefined {
  const [min, max] = MS_RANGES[name];
  return envMs(name, min, max, env);
}
