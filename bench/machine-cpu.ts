/**
 * The whole machine's CPU use over an interval, from /proc/stat's aggregate `cpu` line: how busy
 * every core was (1 = all cores busy all the time). A throughput figure on a shared machine means
 * little without it: a run at 100 % is bounded by the cores, and adding processes (a second server)
 * can only share them out differently.
 */
import { readFileSync } from "node:fs";

interface Ticks {
  busy: number;
  total: number;
}

function read(): Ticks | null {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!;
    // cpu user nice system idle iowait irq softirq steal …: idle and iowait are the idle time.
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - f[3]! - f[4]!, total };
  } catch {
    return null; // not Linux: the figure is NaN
  }
}

/**
 * Starts a meter; `stop()` returns the busy fraction of all cores since the start (NaN where
 * /proc/stat is absent).
 * @example
 * const cpu = machineCpu();
 * await closedLoop(32, 10_000, once);
 * const busy = cpu.stop(); // e.g. 0.97
 */
export function machineCpu(): { stop(): number } {
  const start = read();
  return {
    stop(): number {
      const end = read();
      if (!start || !end || end.total === start.total) return NaN;
      return (end.busy - start.busy) / (end.total - start.total);
    },
  };
}
