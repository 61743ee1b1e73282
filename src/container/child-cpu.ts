/**
 * The CPU time of the child processes the container's Node process has waited for, so that an
 * attempt's own CPU figure (reported with its result) covers what a function ran in a child
 * process (`spawnSync`, `execSync`, a forked worker it awaited) and the executor needs no `/proc`
 * read of its own when the attempt ends (DESIGN §2 Usage).
 *
 * How: a process's reaped children's CPU is its `cutime + cstime` (`/proc/self/stat`), which only
 * grows when it reaps a child, and it can only reap children it started. So the file is read only
 * once this process has started a child: every way Node starts one (`ChildProcess#spawn` under
 * `spawn`, `exec`, `execFile` and `fork`; `spawnSync`, `execSync`, `execFileSync`) is wrapped
 * before the user's bundle loads. Until then the figure is exactly 0, with no read.
 *
 * Invariant: {@link childCpuMark} at an attempt's start and {@link childCpuSince} at its end give
 * the CPU of the children reaped in between (10 ms ticks; 0 where there is no procfs).
 */
import cp, { type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";

/** µs per clock tick of `/proc/<pid>/stat` (USER_HZ is 100 for userspace on every Linux). */
const MICROS_PER_TICK = 10_000;

/** The reaped children's CPU (µs) when this process started its first child; null before. */
let atFirstSpawn: number | null = null;

function reapedMicros(): number {
  try {
    const text = readFileSync("/proc/self/stat", "utf8");
    // Fields start after the last ')' (the command may hold spaces); cutime, cstime are 16 and 17.
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(f[13]) + Number(f[14]);
    return Number.isFinite(ticks) ? ticks * MICROS_PER_TICK : 0;
  } catch {
    return 0;
  }
}

function noteSpawn(): void {
  atFirstSpawn ??= reapedMicros();
}

/** Wraps Node's ways of starting a child process; call once, before user code loads. */
export function trackChildProcesses(): void {
  const proto = cp.ChildProcess.prototype as ChildProcess & { spawn: (...a: unknown[]) => unknown };
  const spawn = proto.spawn;
  proto.spawn = function (this: ChildProcess, ...a: unknown[]) {
    noteSpawn();
    return spawn.apply(this, a);
  };
  const mod = cp as unknown as Record<string, (...a: unknown[]) => unknown>;
  // `execSync` and `execFileSync` call the module's own `spawnSync`, not the export: wrap all three.
  for (const name of ["spawnSync", "execSync", "execFileSync"]) {
    const f = mod[name]!;
    mod[name] = function (this: unknown, ...a: unknown[]) {
      noteSpawn();
      return f.apply(this, a);
    };
  }
  // `import { spawnSync } from "node:child_process"` in a bundle sees the wrapped functions too.
  syncBuiltinESMExports();
}

/** A mark at an attempt's start: null while this process never started a child (nothing to read). */
export function childCpuMark(): number | null {
  return atFirstSpawn === null ? null : reapedMicros();
}

/** CPU µs of the children reaped since `mark` (0 while no child was ever started). */
export function childCpuSince(mark: number | null): number {
  if (atFirstSpawn === null) return 0;
  return Math.max(0, reapedMicros() - (mark ?? atFirstSpawn));
}
