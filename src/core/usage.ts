/**
 * Usage (DESIGN §2 Usage): what one attempt consumed, as its executor measured it, and the sum over a
 * request's call tree that request metadata carries as `usage`.
 *
 * Definitions (docs/semantics.md "Usage"):
 * - wall seconds: from the moment the attempt's `run` reaches its container (after a cold start, if
 *   any) to its result, or to the kill that ended it;
 * - CPU seconds: user + system time of the container's processes over that window;
 * - peak memory: the highest resident memory sampled over that window;
 * - memory GB-seconds: the function's configured `memory` (GB) × wall seconds, as serverless billing
 *   counts it (what was reserved, not what was touched).
 *
 * Invariant: this module stays free of Node-only code (the dashboard type-checks against api.ts,
 * which imports the summary shape from here).
 */

/** What one attempt consumed. Unknown figures are null, never a guess. */
export interface AttemptUsage {
  wallSeconds: number;
  cpuSeconds: number | null;
  peakMemoryBytes: number | null;
  memoryGbSeconds: number;
  /** The attempt's container was started for it (a cold start), not reused warm. */
  containerStarted: boolean;
}

/** One attempt's usage on the wire (request metadata, per attempt). */
export interface AttemptUsageInfo {
  wall_seconds: number;
  cpu_seconds: number | null;
  peak_memory_bytes: number | null;
  memory_gb_seconds: number;
  container_started: boolean;
}

/**
 * A request's usage summed over its call tree (every attempt of every call). `peak_memory_bytes` is
 * the maximum over attempts (memory of different attempts does not add up). `cpu_seconds` and
 * `peak_memory_bytes` are null when no attempt could measure them.
 */
export interface UsageInfo {
  wall_seconds: number;
  cpu_seconds: number | null;
  peak_memory_bytes: number | null;
  memory_gb_seconds: number;
  /** Attempts counted (those that reported usage). */
  attempts: number;
  containers_started: number;
}

/**
 * snake_case for the API.
 * @example attemptUsageInfo({ wallSeconds: 1, cpuSeconds: 0.9, peakMemoryBytes: 5e7, memoryGbSeconds: 1, containerStarted: true })
 */
export function attemptUsageInfo(u: AttemptUsage): AttemptUsageInfo {
  return {
    wall_seconds: u.wallSeconds,
    cpu_seconds: u.cpuSeconds,
    peak_memory_bytes: u.peakMemoryBytes,
    memory_gb_seconds: u.memoryGbSeconds,
    container_started: u.containerStarted,
  };
}

/** Rounds away float noise from sums (microsecond / micro-GB-second resolution). */
const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

/**
 * Sums attempts' usage; attempts without usage (lost with their executor, or from before usage was
 * recorded) are skipped.
 * @example sumUsage([a.usage, b.usage]).cpu_seconds
 */
export function sumUsage(list: readonly (AttemptUsage | null | undefined)[]): UsageInfo {
  const out: UsageInfo = {
    wall_seconds: 0,
    cpu_seconds: null,
    peak_memory_bytes: null,
    memory_gb_seconds: 0,
    attempts: 0,
    containers_started: 0,
  };
  for (const u of list) {
    if (!u) continue;
    out.attempts++;
    out.wall_seconds += u.wallSeconds;
    out.memory_gb_seconds += u.memoryGbSeconds;
    if (u.cpuSeconds !== null) out.cpu_seconds = (out.cpu_seconds ?? 0) + u.cpuSeconds;
    if (u.peakMemoryBytes !== null) out.peak_memory_bytes = Math.max(out.peak_memory_bytes ?? 0, u.peakMemoryBytes);
    if (u.containerStarted) out.containers_started++;
  }
  out.wall_seconds = round6(out.wall_seconds);
  out.memory_gb_seconds = round6(out.memory_gb_seconds);
  if (out.cpu_seconds !== null) out.cpu_seconds = round6(out.cpu_seconds);
  return out;
}

/**
 * Checks a usage report from an executor (plain data crossing processes): finite, non-negative
 * figures. Anything else is dropped rather than stored.
 * @example validUsage(msg.usage) ?? null
 */
export function validUsage(u: unknown): AttemptUsage | null {
  if (typeof u !== "object" || u === null) return null;
  const x = u as Record<string, unknown>;
  const num = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;
  const opt = (v: unknown): v is number | null => v === null || num(v);
  if (!num(x.wallSeconds) || !num(x.memoryGbSeconds) || !opt(x.cpuSeconds) || !opt(x.peakMemoryBytes)) return null;
  return {
    wallSeconds: x.wallSeconds,
    cpuSeconds: x.cpuSeconds,
    peakMemoryBytes: x.peakMemoryBytes,
    memoryGbSeconds: x.memoryGbSeconds,
    containerStarted: x.containerStarted === true,
  };
}
