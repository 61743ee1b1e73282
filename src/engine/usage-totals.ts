/**
 * Usage totals since this server started, per namespace, application and function: what
 * `GET /metrics` exports as `tributary_function_*_total` counters (DESIGN §2 Usage).
 *
 * Per process for the same reason as the users' metrics (see metric-totals.ts): a Prometheus
 * counter belongs to the process that exposes it. Each server counts the attempts whose results it
 * committed, once, after the commit, so a cluster's servers never count one attempt twice.
 *
 * The series are keyed by deployed functions (not by names a function invents at run time), so
 * their number is bounded by what was deployed; a cap still guards the server's memory.
 */
import type { AttemptUsage } from "../core/usage.js";

/** One function's usage since this server started. */
export interface UsageSeries {
  namespace: string;
  application: string;
  functionName: string;
  /** Attempts that reported usage. */
  attempts: number;
  wallSeconds: number;
  cpuSeconds: number;
  memoryGbSeconds: number;
  containersStarted: number;
  /** The highest peak memory of one attempt, bytes (0 when none was measured). */
  peakMemoryBytes: number;
}

const DEFAULT_MAX_SERIES = 10_000;

/**
 * @example
 * const totals = new UsageTotals();
 * totals.add("default", "app", "f", { wallSeconds: 1, cpuSeconds: 0.5, peakMemoryBytes: 1e8, memoryGbSeconds: 1, containerStarted: true });
 * totals.series()[0]?.cpuSeconds; // 0.5
 */
export class UsageTotals {
  private readonly byKey = new Map<string, UsageSeries>();
  /** Attempts not counted because the series cap was reached. */
  dropped = 0;

  constructor(private readonly maxSeries = DEFAULT_MAX_SERIES) {}

  add(namespace: string, application: string, functionName: string, u: AttemptUsage): void {
    // JSON of a tuple: no separator a name could forge.
    const key = JSON.stringify([namespace, application, functionName]);
    let s = this.byKey.get(key);
    if (!s) {
      if (this.byKey.size >= this.maxSeries) {
        this.dropped++;
        return;
      }
      s = {
        namespace,
        application,
        functionName,
        attempts: 0,
        wallSeconds: 0,
        cpuSeconds: 0,
        memoryGbSeconds: 0,
        containersStarted: 0,
        peakMemoryBytes: 0,
      };
      this.byKey.set(key, s);
    }
    s.attempts++;
    s.wallSeconds += u.wallSeconds;
    s.cpuSeconds += u.cpuSeconds ?? 0;
    s.memoryGbSeconds += u.memoryGbSeconds;
    if (u.containerStarted) s.containersStarted++;
    s.peakMemoryBytes = Math.max(s.peakMemoryBytes, u.peakMemoryBytes ?? 0);
  }

  /** Every series, in the order they first appeared. */
  series(): readonly UsageSeries[] {
    return [...this.byKey.values()];
  }
}
