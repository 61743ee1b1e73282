/**
 * Browser code: what a request and each attempt consumed (`usage` in request metadata and on each
 * attempt: wall and CPU seconds, peak memory, memory GB-seconds). A server from before usage sends
 * none, a running attempt has none yet, and a request whose attempts reported none counts 0
 * attempts: then nothing is drawn. Unknown figures (null) show as "—", never as zero.
 */
import type { AttemptInfo, AttemptUsageInfo, RequestDetail, UsageInfo } from "../../core/api.js";
import { h } from "./dom.js";

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

/** The request's usage as a facts list (`#usage`), or null when there is none to show. */
export function usageFacts(detail: RequestDetail): HTMLElement | null {
  // Typed as always present, but a server from before usage omits it.
  const u: UsageInfo | undefined = detail.usage;
  if (!u || u.attempts === 0) return null;
  const rows: [string, string][] = [
    ["Wall time", seconds(u.wall_seconds)],
    ["CPU time", seconds(u.cpu_seconds)],
    ["Peak memory", fmtBytes(u.peak_memory_bytes)],
    ["Memory", gbSeconds(u.memory_gb_seconds)],
    ["Attempts measured", String(u.attempts)],
    ["Containers started", String(u.containers_started)],
  ];
  return h(
    "dl",
    { class: "facts", id: "usage" },
    rows.flatMap(([k, v]) => [h("dt", null, k), h("dd", null, v)]),
  );
}

/** One attempt's usage on one line ("wall 1.200 s · CPU 0.950 s · peak 48.2 MiB"), or null. */
export function attemptUsageText(attempt: AttemptInfo): string | null {
  const u: AttemptUsageInfo | null | undefined = attempt.usage;
  if (!u) return null;
  return `wall ${seconds(u.wall_seconds)} · CPU ${seconds(u.cpu_seconds)} · peak ${fmtBytes(u.peak_memory_bytes)}`;
}
