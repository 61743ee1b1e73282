/**
 * Reading what a container uses: resident memory from `/proc/<pid>/status` and the bytes of the
 * files under its temp directory. Both are best-effort samples: a process that exited or a file
 * removed mid-walk reads as absent, never as an error.
 */
import { readdir, lstat } from "node:fs/promises";
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Resident set size of `pid` in bytes (`VmRSS`), or null when unknown (exited, or no procfs).
 * @example const rss = await readRssBytes(child.pid!);
 */
export async function readRssBytes(pid: number, procRoot = "/proc"): Promise<number | null> {
  let text: string;
  try {
    // Synchronous on purpose: procfs reads never block on a disk, and one readFileSync is far
    // cheaper than the four thread-pool round trips of an async readFile, sampled many times a second.
    text = readFileSync(join(procRoot, String(pid), "status"), "utf8");
  } catch {
    return null;
  }
  const m = /^VmRSS:\s+(\d+)\s*kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : null;
}

/**
 * Sum of the sizes of regular files under `dir` (symlinks are not followed, so a link cannot charge
 * another container's files to this one). A missing directory is 0 bytes.
 * @example if (await dirSizeBytes(tmp) > quota) kill();
 */
export async function dirSizeBytes(dir: string): Promise<number> {
  let total = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    let names: string[];
    try {
      names = await readdir(d);
    } catch {
      continue;
    }
    for (const n of names) {
      const p = join(d, n);
      try {
        const st = await lstat(p);
        if (st.isDirectory()) stack.push(p);
        else if (st.isFile()) total += st.size;
      } catch {
        /* removed while walking */
      }
    }
  }
  return total;
}

/**
 * The synchronous twin of {@link dirSizeBytes}, for the check right before a result is reported:
 * an empty temp directory (the common case) costs one `readdir`, with no thread-pool round trips.
 */
export function dirSizeBytesSync(dir: string): number {
  let total = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      continue;
    }
    for (const n of names) {
      const p = join(d, n);
      try {
        const st = lstatSync(p);
        if (st.isDirectory()) stack.push(p);
        else if (st.isFile()) total += st.size;
      } catch {
        /* removed while walking */
      }
    }
  }
  return total;
}
