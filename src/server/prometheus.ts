/**
 * `GET /metrics`: the engine's gauges and the users' metrics in the Prometheus text format.
 *
 * User counters become counters named `<name>_total`, user timers summaries named `<name>` (with
 * `_sum` in seconds and `_count`), each labelled by namespace, application and function and summed
 * over every request since this server started (see `MetricTotals` for why per process).
 *
 * Invariant: each family name appears once and each (family, labels) sample once. Two user names
 * that sanitise to the same metric name are summed into one series; a timer whose name would take
 * a counter's family name is exported as `<name>_timer`.
 */
import type { MetricSeries, UsageSeries } from "../engine/index.js";
import type { ServerContext } from "./context.js";
import { labels, metricName, render, sampleValue, type Family } from "./prometheus-format.js";

export async function prometheusText(s: ServerContext): Promise<string> {
  const e = s.engine.metrics();
  const gauge = (name: string, help: string, samples: string[]): Family => ({ name, type: "gauge", help, samples });
  const families: Family[] = [
    gauge("tributary_live_requests", "Requests not yet finished in this server.", [
      `tributary_live_requests ${e.liveRequests}`,
    ]),
    gauge("tributary_live_calls", "Calls pending or running.", [`tributary_live_calls ${e.liveCalls}`]),
    gauge("tributary_running_attempts", "Attempts running on executors.", [
      `tributary_running_attempts ${e.runningAttempts}`,
    ]),
    gauge("tributary_connected_executors", "Executors connected to this server.", [
      `tributary_connected_executors ${e.executors.filter((x) => x.connected).length}`,
    ]),
    gauge(
      "tributary_executor_cpu_used",
      "CPUs reserved per executor.",
      e.executors.map((x) => `tributary_executor_cpu_used${labels({ executor: x.id })} ${x.cpuUsed}`),
    ),
  ];
  const totals = e.userMetrics;
  families.push({
    name: "tributary_user_metric_samples_dropped_total",
    type: "counter",
    help: "User metric samples not exported because the number of series reached its cap.",
    samples: [`tributary_user_metric_samples_dropped_total ${totals.dropped}`],
  });
  families.push(...usageFamilies(e.usage));
  families.push(...userFamilies(totals.series));
  return render(families);
}

/**
 * Attempts' usage per function (docs/semantics.md "Usage"), summed over the attempts whose results
 * this server committed since it started. Every family is present, with no samples before the first.
 */
export function usageFamilies(series: readonly UsageSeries[]): Family[] {
  const counter = (name: string, help: string, value: (s: UsageSeries) => number): Family => ({
    name,
    type: "counter",
    help,
    samples: series.map(
      (s) =>
        `${name}${labels({ namespace: s.namespace, application: s.application, function: s.functionName })} ${sampleValue(value(s))}`,
    ),
  });
  return [
    counter("tributary_function_attempts_total", "Attempts that finished and reported their usage.", (s) => s.attempts),
    counter(
      "tributary_function_wall_seconds_total",
      "Wall seconds of attempts, from the start on their container to their result.",
      (s) => s.wallSeconds,
    ),
    counter(
      "tributary_function_cpu_seconds_total",
      "CPU seconds (user + system) of attempts' container processes.",
      (s) => s.cpuSeconds,
    ),
    counter(
      "tributary_function_memory_gb_seconds_total",
      "The function's configured memory in GB times the attempts' wall seconds.",
      (s) => s.memoryGbSeconds,
    ),
    counter(
      "tributary_function_containers_started_total",
      "Attempts whose container was started for them (cold starts).",
      (s) => s.containersStarted,
    ),
    {
      ...counter(
        "tributary_function_peak_memory_bytes",
        "The highest peak resident memory of one attempt.",
        (s) => s.peakMemoryBytes,
      ),
      type: "gauge",
    },
  ];
}

/** Counter and summary families of the users' metrics. */
export function userFamilies(series: readonly MetricSeries[]): Family[] {
  const counters = new Map<string, Map<string, number>>();
  const timers = new Map<string, Map<string, { sum: number; count: number }>>();
  const rawNames = new Map<string, Set<string>>();
  const note = (family: string, raw: string): void => {
    let set = rawNames.get(family);
    if (!set) rawNames.set(family, (set = new Set()));
    set.add(raw);
  };
  for (const x of series) {
    if (x.kind !== "counter") continue;
    const family = metricName(x.name).replace(/_total$/, "") + "_total";
    note(family, x.name);
    const perLabels = counters.get(family) ?? new Map<string, number>();
    counters.set(family, perLabels);
    const l = labels({ namespace: x.namespace, application: x.application, function: x.functionName });
    perLabels.set(l, (perLabels.get(l) ?? 0) + x.sum);
  }
  for (const x of series) {
    if (x.kind !== "timer") continue;
    let family = metricName(x.name);
    if (counters.has(family)) family += "_timer";
    note(family, x.name);
    const perLabels = timers.get(family) ?? new Map<string, { sum: number; count: number }>();
    timers.set(family, perLabels);
    const l = labels({ namespace: x.namespace, application: x.application, function: x.functionName });
    const t = perLabels.get(l) ?? { sum: 0, count: 0 };
    t.sum += x.sum;
    t.count += x.count;
    perLabels.set(l, t);
  }
  const named = (family: string): string => [...(rawNames.get(family) ?? [])].map((n) => JSON.stringify(n)).join(", ");
  const out: Family[] = [];
  for (const [family, perLabels] of counters) {
    out.push({
      name: family,
      type: "counter",
      help: `User counter ${named(family)} (ctx.metrics.counter), summed over requests since the server started.`,
      samples: [...perLabels].map(([l, v]) => `${family}${l} ${sampleValue(v)}`),
    });
  }
  for (const [family, perLabels] of timers) {
    out.push({
      name: family,
      type: "summary",
      help: `User timer ${named(family)} in seconds (ctx.metrics.timer), over requests since the server started.`,
      samples: [...perLabels].flatMap(([l, t]) => [
        `${family}_sum${l} ${sampleValue(t.sum)}`,
        `${family}_count${l} ${t.count}`,
      ]),
    });
  }
  return out;
}
