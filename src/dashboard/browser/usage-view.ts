/**
 * Browser code: what a request and each attempt consumed (`usage` in request metadata and on each
 * attempt: wall and CPU seconds, peak memory, memory GB-seconds). Servers that do not report usage
 * send none, and then nothing is drawn. Unknown figures (null) show as "—", never as zero.
 */
import { h } from "./dom.js";

/** The figures read from a `usage` object (request totals carry the counts too). */
interface UsageShown {
  wall_seconds?: number | null;
  cpu_seconds?: number | null;
  peak_memory_bytes?: number | null;
  memory_gb_seconds?: number | null;
  attempts?: number;
  containers_started?: number;
}

/** `x.usage` when it is an object, else null (an older server, or an attempt still running). */
export function usageOf(x: object): UsageShown | null {
  const u = (x as { usage?: unknown }).usage;
  return typeof u === "object" && u !== null ? (u as UsageShown) : null;
}

function seconds(v: number | null | undefined): string {
  return typeof v === "number" ? `${v < 10 ? v.toFixed(3) : v.toFixed(1)} s` : "—";
}

/** Bytes in binary units: "512 B", "48.2 MiB". */
export function fmtBytes(v: number | null | undefined): string {
  if (typeof v !== "number") return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let n = v;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

function gbSeconds(v: number | null | undefined): string {
  return typeof v === "number" ? `${v.toFixed(3)} GB·s` : "—";
}

/** The request's usage as a facts list (`#usage`), or null when the server sent none. */
export function usageFacts(detail: object): HTMLElement | null {
  const u = usageOf(detail);
  if (!u) return null;
  const rows: [string, string][] = [
    ["Wall time", seconds(u.wall_seconds)],
    ["CPU time", seconds(u.cpu_seconds)],
    ["Peak memory", fmtBytes(u.peak_memory_bytes)],
    ["Memory", gbSeconds(u.memory_gb_seconds)],
  ];
  if (typeof u.attempts === "number") rows.push(["Attempts measured", String(u.attempts)]);
  if (typeof u.containers_started === "number") rows.push(["Containers started", String(u.containers_started)]);
  return h(
    "dl",
    { class: "facts", id: "usage" },
    rows.flatMap(([k, v]) => [h("dt", null, k), h("dd", null, v)]),
  );
}

/** One attempt's usage on one line ("wall 1.200 s · CPU 0.950 s · peak 48.2 MiB"), or null. */
export function attemptUsageText(attempt: object): string | null {
  const u = usageOf(attempt);
  if (!u) return null;
  return `wall ${seconds(u.wall_seconds)} · CPU ${seconds(u.cpu_seconds)} · peak ${fmtBytes(u.peak_memory_bytes)}`;
}
