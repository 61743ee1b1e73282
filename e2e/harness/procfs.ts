/** Process facts from /proc (Linux), for choosing and checking kill targets. */
import { existsSync, readdirSync, readFileSync } from "node:fs";

/** True while `pid` is a live process (a zombie counts as dead). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = `/proc/${pid}/stat`;
  return !existsSync(stat) || !/^\d+ \(.*\) Z /.test(readFileSync(stat, "utf8"));
}

/** Pids whose parent is `ppid` (containers are forked by their executor). */
export function childrenOf(ppid: number): number[] {
  if (!existsSync("/proc")) return [];
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const m = /^\d+ \(.*\) \S+ (\d+)/.exec(readFileSync(`/proc/${name}/stat`, "utf8"));
      if (m && Number(m[1]) === ppid) out.push(Number(name));
    } catch {
      /* exited while we looked */
    }
  }
  return out;
}

/** The parent pid from /proc (Linux), or undefined elsewhere. */
export function parentOf(pid: number): number | undefined {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return undefined;
  return Number(/^\d+ \(.*\) \S+ (\d+)/.exec(readFileSync(stat, "utf8"))?.[1]);
}
