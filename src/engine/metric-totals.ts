/**
 * Totals of the users' metrics (`ctx.metrics.counter` / `timer`) since this server started, per
 * namespace, application, function and metric name: what `GET /metrics` exports for Prometheus.
 *
 * Why in memory and per process: a Prometheus counter belongs to the process that exposes it and
 * resets when that process restarts (Prometheus' `rate()`/`increase()` expect exactly that). Summing
 * the stored rows instead would count a sample once per server in a cluster and go backwards when a
 * request is deleted. Each server therefore counts the samples its own executors reported, once,
 * after they are committed to the store.
 *
 * Invariant: the number of series is capped (`maxSeries`), so a function inventing metric names
 * cannot exhaust the server's memory; samples of series past the cap are counted in `dropped`.
 */

/** One counter or timer series. */
export interface MetricSeries {
  namespace: string;
  application: string;
  functionName: string;
  kind: "counter" | "timer";
  name: string;
  /** Counter: the sum of its increments. Timer: the sum of its durations in seconds. */
  sum: number;
  /** Samples recorded (for a timer, the summary's `_count`). */
  count: number;
}

/** A committed metric sample with the request's namespace and application. */
export interface MetricSample {
  namespace: string;
  application: string;
  functionName: string;
  kind: "counter" | "timer";
  name: string;
  value: number;
}

const DEFAULT_MAX_SERIES = 10_000;

/**
 * @example
 * const totals = new MetricTotals();
 * totals.add({ namespace: "default", application: "app", functionName: "f", kind: "counter", name: "items", value: 2 });
 * totals.series()[0]?.sum; // 2
 */
export class MetricTotals {
  private readonly byKey = new Map<string, MetricSeries>();
  /** Samples not counted because the series cap was reached. */
  dropped = 0;

  constructor(private readonly maxSeries = DEFAULT_MAX_SERIES) {}

  add(s: MetricSample): void {
    // JSON of a tuple: no separator a name could forge.
    const key = JSON.stringify([s.namespace, s.application, s.functionName, s.kind, s.name]);
    let series = this.byKey.get(key);
    if (!series) {
      if (this.byKey.size >= this.maxSeries) {
        this.dropped++;
        return;
      }
      series = {
        namespace: s.namespace,
        application: s.application,
        functionName: s.functionName,
        kind: s.kind,
        name: s.name,
        sum: 0,
        count: 0,
      };
      this.byKey.set(key, series);
    }
    series.sum += s.value;
    series.count++;
  }

  /** Every series, in the order they first appeared. */
  series(): readonly MetricSeries[] {
    return [...this.byKey.values()];
  }
}
