/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`) by self time per function, the evidence
 * the lead optimises from.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTime {
  fn: string;
  where: string;
  selfMs: number;
  share: number;
}

/** The newest main-thread `.cpuprofile` in `dir`, or null. */
export function newestProfile(dir: string): string | null {
  // In the dev topology the executor runs in the server's process: no profile directory of its own.
  if (!existsSync(dir)) return null;
  // `--cpu-prof` names files CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile and profiles worker
  // threads too (the SQLite checkpointer): thread 0 is the event loop.
  const files = readdirSync(dir)
    .filter((f) => /\.0\.\d+\.cpuprofile$/.test(f))
    .sort();
  return files.length ? join(dir, files[files.length - 1]!) : null;
}

export function topSelfTime(path: string, limit = 20): { totalMs: number; rows: SelfTime[] } {
  const p = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  // Sample time deltas give each sample its real duration; hitCount alone assumes a fixed interval.
  if (p.samples && p.timeDeltas) {
    for (let i = 0; i < p.samples.length; i++) {
      const next = p.timeDeltas[i + 1] ?? 0;
      selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + Math.max(0, next));
    }
  }
  const agg = new Map<string, { fn: string; where: string; us: number }>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n) continue;
    const fn = n.callFrame.functionName || "(anonymous)";
    const url = n.callFrame.url.replace(/^file:\/\//, "").replace(/^.*\/(node_modules|dist)\//, "$1/");
    const where = url ? `${url}:${n.callFrame.lineNumber + 1}` : "";
    const key = `${fn}@${where}`;
    const e = agg.get(key) ?? { fn, where, us: 0 };
    e.us += us;
    agg.set(key, e);
  }
  const totalUs = Math.max(1, p.endTime - p.startTime);
  const rows = [...agg.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, limit)
    .map((e) => ({ fn: e.fn, where: e.where, selfMs: e.us / 1000, share: e.us / totalUs }));
  return { totalMs: totalUs / 1000, rows };
}

export function formatSelfTime(t: { totalMs: number; rows: SelfTime[] }): string {
  const lines = [
    `profile span ${(t.totalMs / 1000).toFixed(1)} s; top self time:`,
    "| self ms | share | function | location |",
    "|---:|---:|---|---|",
  ];
  for (const r of t.rows)
    lines.push(`| ${r.selfMs.toFixed(0)} | ${(r.share * 100).toFixed(1)} % | ${r.fn} | ${r.where} |`);
  return lines.join("\n");
}
