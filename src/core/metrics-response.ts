/**
 * The body of `GET …/requests/{id}/metrics` from recorded samples, shared by the server and
 * `runLocal` so both answer the same shape. Node-free: the dashboard's build type-checks core.
 */
import type { MetricsResponse } from "./api.js";

/** One recorded metric sample (a store row or a `runLocal` record). */
export interface MetricSampleRow {
  callId: string;
  functionName: string;
  attempt: number;
  kind: "counter" | "timer";
  name: string;
  value: number;
  at: number;
}

/**
 * Counters summed and timers summarised (count, sum, min, max), with every sample.
 *
 * @example
 * metricsResponse([{ callId: "c", functionName: "f", attempt: 1, kind: "counter", name: "n", value: 2, at: 0 }]).counters; // { n: 2 }
 */
export function metricsResponse(rows: Iterable<MetricSampleRow>): MetricsResponse {
  const out: MetricsResponse = { counters: {}, timers: {}, samples: [] };
  for (const m of rows) {
    out.samples.push({
      call_id: m.callId,
      function_name: m.functionName,
      attempt: m.attempt,
      kind: m.kind,
      name: m.name,
      value: m.value,
      at: m.at,
    });
    if (m.kind === "counter") out.counters[m.name] = (out.counters[m.name] ?? 0) + m.value;
    else {
      const t = (out.timers[m.name] ??= { count: 0, sum: 0, min: m.value, max: m.value });
      t.count++;
      t.sum += m.value;
      t.min = Math.min(t.min, m.value);
      t.max = Math.max(t.max, m.value);
    }
  }
  return out;
}
