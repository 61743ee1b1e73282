/**
 * Finding a sandboxed container's Node process on the host. The executor starts `bwrap`, which
 * forks the pid namespace's init, which runs Node: the pid the executor must sample for memory is
 * a grandchild, known only once the sandbox is up.
 */
import { readFileSync, readdirSync, readlinkSync } from "node:fs";

/** Direct children of `pid` (`/proc/<pid>/task/<pid>/children`, or a scan of /proc without it). */
export function childPids(pid: number, procRoot = "/proc"): number[] {
  try {
    return readFileSync(`${procRoot}/${pid}/task/${pid}/children`, "utf8").split(/\s+/).filter(Boolean).map(Number);
  } catch {
    /* kernel without CONFIG_PROC_CHILDREN: scan */
  }
  const out: number[] = [];
  let names: string[];
  try {
    names = readdirSync(procRoot);
  } catch {
    return out;
  }
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const m = /^\d+ \(.*\) \S+ (\d+)/s.exec(readFileSync(`${procRoot}/${n}/stat`, "utf8"));
      if (m && Number(m[1]) === pid) out.push(Number(n));
    } catch {
      /* exited while we looked */
    }
  }
  return out;
}

/**
 * The first process below `root` (breadth first, at most `depth` levels) whose executable is
 * `exe`, or null while there is none yet.
 * @example findDescendant(bwrap.pid!, "/usr/bin/node") // 41234
 */
export function findDescendant(root: number, exe: string, depth = 4, procRoot = "/proc"): number | null {
  let level = [root];
  for (let d = 0; d < depth && level.length > 0; d++) {
    const next: number[] = [];
    for (const p of level) {
      for (const c of childPids(p, procRoot)) {
        try {
          if (readlinkSync(`${procRoot}/${c}/exe`) === exe) return c;
        } catch {
          /* exited, or not ours to read */
        }
        next.push(c);
      }
    }
    level = next;
  }
  return null;
}
