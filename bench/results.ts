/** One figure of the benchmark table, and how the table and the JSON result file are produced. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export interface Row {
  /** Store backend (sqlite, postgres). */
  backend: string;
  workload: string;
  figure: string;
  /** The raw number, in the unit named by `unit`. */
  value: number;
  unit: "ms" | "bytes" | "per_s" | "ratio" | "s" | "count";
  /** Human-readable value. */
  shown: string;
  /** The target as text, or "" when the issue sets none. */
  target: string;
  /** true/false against the target, null without one. */
  met: boolean | null;
  /** Extra context (sample size, settings). */
  note?: string;
}

export function printTable(rows: readonly Row[]): void {
  const head = ["backend", "workload", "figure", "value", "target", "met?"];
  const body = rows.map((r) => [
    r.backend,
    r.workload,
    r.figure,
    r.shown,
    r.target || "—",
    r.met === null ? "—" : r.met ? "met" : "NOT MET",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => "| " + cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
  const out = [line(head), "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|", ...body.map(line)];
  process.stdout.write(out.join("\n") + "\n");
}

export function writeJson(path: string, data: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(data, null, 2) + "\n");
}
