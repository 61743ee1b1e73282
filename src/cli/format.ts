/**
 * Human-readable rendering: aligned tables, times and durations. Status and failure words are
 * printed exactly as the API returns them (core/status.ts), so the CLI, API and UI agree.
 */

/** Renders rows under headers with columns padded to the widest cell. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

/** Prints a table on stdout, or `empty` (e.g. "no secrets") when there are no rows. */
export function printTable(headers: string[], rows: string[][], empty: string): void {
  process.stdout.write((rows.length === 0 ? empty : table(headers, rows)) + "\n");
}

/** `2025-01-31 12:00:05` in local time; `-` for null. */
export function time(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "-";
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** `850ms`, `12.3s`, `4m05s`, `2h03m`; `-` when unfinished. */
export function duration(from: number | null | undefined, to: number | null | undefined): string {
  if (from === null || from === undefined || to === null || to === undefined) return "-";
  const ms = Math.max(0, to - from);
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
