/**
 * The Prometheus text exposition format (version 0.0.4): metric names, label values and families.
 *
 * Users name their metrics freely (`ctx.metrics.counter("items processed/s", 1)`), so every name
 * that reaches the exposition goes through {@link metricName} and every label value through
 * {@link labelValue}: nothing a user writes can break a line or forge another series.
 */

/** Prefix reserved for the engine's own families; a user metric never takes it. */
export const ENGINE_PREFIX = "tributary_";

/**
 * A valid metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`, colons left to recording rules): every other
 * character becomes `_`, a leading digit gets a `_` before it, and a name in the engine's
 * `tributary_` space is moved to `user_tributary_…` so it cannot collide with an engine family.
 *
 * @example
 * metricName("items processed/s"); // "items_processed_s"
 * metricName("2xx");               // "_2xx"
 */
export function metricName(raw: string): string {
  let name = raw.replace(/[^a-zA-Z0-9_]/g, "_");
  if (name === "" || /^[0-9]/.test(name)) name = "_" + name;
  if (name.startsWith(ENGINE_PREFIX)) name = "user_" + name;
  return name;
}

/**
 * A label value escaped for the text format: backslash, double quote and line feed.
 *
 * @example
 * labelValue('say "hi"\n'); // 'say \\"hi\\"\\n'
 */
export function labelValue(raw: string): string {
  return raw.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** `{k="v",…}` with escaped values (label names are ours, already valid). */
export function labels(pairs: Record<string, string>): string {
  const parts = Object.entries(pairs).map(([k, v]) => `${k}="${labelValue(v)}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

/** HELP text escaped for the text format: backslash and line feed. */
function helpText(raw: string): string {
  return raw.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** One metric family: its HELP and TYPE lines, then its samples (`name{labels} value`). */
export interface Family {
  name: string;
  type: "counter" | "gauge" | "summary";
  help: string;
  samples: string[];
}

/** The exposition of `families`, each name appearing once (the format requires it). */
export function render(families: readonly Family[]): string {
  const lines: string[] = [];
  for (const f of families)
    lines.push(`# HELP ${f.name} ${helpText(f.help)}`, `# TYPE ${f.name} ${f.type}`, ...f.samples);
  return lines.join("\n") + "\n";
}

/** A sample value in the text format (`+Inf`, `-Inf`, `NaN` spelled as Prometheus reads them). */
export function sampleValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}
