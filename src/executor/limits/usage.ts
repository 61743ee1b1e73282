/**
 * Reading what a container uses: resident memory from `/proc/<pid>/status`, CPU time from
 * `/proc/<pid>/stat` (of one process or a whole tree) and the bytes of the files under its temp
 * directory. All are best-effort samples: a process that exited or a file removed mid-walk reads as
 * absent, never as an error.
 */
import { readdir, lstat } from "node:fs/promises";
import { closeSync, lstatSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";
import { join } from "node:path";
import { childPids } from "../backends/process-tree.js";

/**
 * Resident set size of `pid` in bytes (`VmRSS`), or null when unknown (exited, or no procfs).
 * @example const rss = await readRssBytes(child.pid!);
 */
export async function readRssBytes(pid: number, procRoot = "/proc"): Promise<number | null> {
  return readRssBytesSync(pid, procRoot);
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

/**
 * Linux's `USER_HZ`, the unit of the CPU times in `/proc/<pid>/stat`: 100 on every architecture
 * Node runs on (the kernel fixes it for userspace, whatever its internal HZ).
 */
const CLOCK_TICKS_PER_SECOND = 100;
/** A runaway fork bomb must not make one sample walk forever. */
const MAX_TREE = 4096;

/** Children of every thread of `pid` (a child forked from a worker thread is listed under that thread). */
function childrenOf(pid: number, procRoot: string): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(join(procRoot, String(pid), "task"));
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const t of tasks) {
    try {
      const text = readFileSync(join(procRoot, String(pid), "task", t, "children"), "utf8");
      for (const c of text.split(/\s+/)) if (c) out.push(Number(c));
    } catch (e) {
      // A kernel without CONFIG_PROC_CHILDREN: scan /proc for the children instead.
      if ((e as NodeJS.ErrnoException).code === "ENOENT" && t === String(pid)) return childPids(pid, procRoot);
    }
  }
  return out;
}

/** `pid` and all its descendants, `pid` first; empty when `pid` is gone. */
export function processTree(pid: number, procRoot = "/proc"): number[] {
  const out = [pid];
  for (let i = 0; i < out.length && out.length < MAX_TREE; i++) out.push(...childrenOf(out[i]!, procRoot));
  return out;
}

/**
 * CPU seconds (user + system) of `pid`'s process and of its children it has waited for
 * (`utime + stime + cutime + cstime`), or null when it is gone. Summed over a process tree this
 * only grows: a child that exits moves its time into its parent's `cutime` when it is reaped.
 */
export function readProcessCpuSeconds(pid: number, procRoot = "/proc"): number | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(procRoot, String(pid), "stat"));
  } catch {
    return null;
  }
  return statCpuSeconds(bytes, bytes.length);
}

const SPACE = 0x20;
const CLOSE_PAREN = 0x29;

/**
 * CPU seconds from the first `n` bytes of a `/proc/<pid>/stat` (see {@link readProcessCpuSeconds}).
 * Parsed from the bytes, with no string made: this runs at the start of every attempt, where
 * decoding the line and splitting it into its 52 fields cost more than the read itself.
 */
function statCpuSeconds(buf: Uint8Array, n: number): number | null {
  // "pid (comm) state …": comm may hold spaces and parentheses, so fields start after the last ')'.
  let at = buf.lastIndexOf(CLOSE_PAREN, n - 1);
  if (at < 0) return null;
  at += 2; // ") "
  // Fields 14–17 of proc(5) (utime, stime, cutime, cstime) are at 11–14 counting from field 3.
  for (let field = 0; field < 11; field++) {
    at = buf.indexOf(SPACE, at);
    if (at < 0 || at >= n) return null;
    at++;
  }
  let ticks = 0;
  for (let field = 11; field <= 14; field++) {
    let value = 0;
    let digits = 0;
    for (; at < n; at++, digits++) {
      const d = buf[at]! - 0x30;
      if (d < 0 || d > 9) break;
      value = value * 10 + d;
    }
    if (digits === 0 || (at < n && buf[at] !== SPACE && buf[at] !== 0x0a)) return null;
    ticks += value;
    at++;
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/** {@link readProcessCpuSeconds} of one process, kept open: see {@link openProcessCpu}. */
export interface ProcessCpuReader {
  /** The process's CPU seconds now, or null once it is gone. */
  read(): number | null;
  close(): void;
}

/** One buffer for every reader: reads are synchronous, so they never overlap. A stat line is < 1 KiB. */
const statBuf = Buffer.alloc(4096);

/**
 * {@link readProcessCpuSeconds} for a process read again and again (the start of every attempt on
 * its container): the stat file stays open and each reading is one `pread`, instead of an open,
 * a read and a close (a third of the cost, measured: 12 µs against 36 µs). The descriptor stays
 * bound to the process it was opened for: once that process is gone, reads fail (null) even if
 * its pid is reused. Null when the process is already gone.
 * @example const r = openProcessCpu(pid); r?.read(); r?.close();
 */
export function openProcessCpu(pid: number, procRoot = "/proc"): ProcessCpuReader | null {
  let fd: number | null;
  try {
    fd = openSync(join(procRoot, String(pid), "stat"), "r");
  } catch {
    return null;
  }
  return {
    read() {
      if (fd === null) return null;
      try {
        const n = readSync(fd, statBuf, 0, statBuf.length, 0);
        return statCpuSeconds(statBuf, n);
      } catch {
        return null;
      }
    },
    close() {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}

/** One sample of a process tree: total CPU seconds and resident memory, or null when the root is gone. */
export interface TreeSample {
  cpuSeconds: number;
  rssBytes: number;
  /** The processes read (for light probes of the same tree later). */
  pids: number[];
}

/**
 * CPU and resident memory of the process tree under `root` (the container's processes).
 * @example const s = sampleProcessTree(bwrap.pid!); // { cpuSeconds: 1.23, rssBytes: 51380224 }
 */
export function sampleProcessTree(root: number, procRoot = "/proc"): TreeSample | null {
  let cpuSeconds = 0;
  let rssBytes = 0;
  const pids: number[] = [];
  for (const pid of processTree(root, procRoot)) {
    const cpu = readProcessCpuSeconds(pid, procRoot);
    if (cpu === null) continue; // exited while we walked
    pids.push(pid);
    cpuSeconds += cpu;
    rssBytes += readRssBytesSync(pid, procRoot) ?? 0;
  }
  return pids.length ? { cpuSeconds, rssBytes, pids } : null;
}

/** {@link readRssBytes} without the promise, for a walk of several processes. */
function readRssBytesSync(pid: number, procRoot: string): number | null {
  try {
    // Synchronous on purpose: procfs reads never block on a disk, and one readFileSync is far
    // cheaper than the four thread-pool round trips of an async readFile, sampled many times a second.
    const m = /^VmRSS:\s+(\d+)\s*kB/m.exec(readFileSync(join(procRoot, String(pid), "status"), "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}
