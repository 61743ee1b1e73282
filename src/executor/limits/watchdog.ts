/**
 * The per-container watchdog: samples resident memory (~every 150 ms) and the temp directory's size
 * (~every 250 ms) and reports the first limit exceeded, once.
 *
 * Invariants: samples never overlap (each loop re-arms after its sample finishes); after `stop()` or
 * after reporting, no further callback fires; timers are unref'd so a watchdog never keeps the
 * executor alive. Memory is null when a cgroup enforces it (the kernel is then the watchdog).
 */
import { readdirSync, statSync } from "node:fs";
import { dirSizeBytes, dirSizeBytesSync, readRssBytes } from "./usage.js";

export type LimitReason = "out_of_memory" | "disk_quota_exceeded";

/** What was exceeded, by how much. */
export interface Exceeded {
  reason: LimitReason;
  usedBytes: number;
  limitBytes: number;
}

export interface WatchdogOptions {
  /** The process to sample, or a function returning it (negative or null while not yet known). */
  pid: number | (() => number | null);
  /** RSS limit in bytes; null: not watched here. */
  memoryLimitBytes: number | null;
  /** Directory whose file sizes count against `diskLimitBytes`; null: the kernel enforces the disk (a sized tmpfs). */
  diskDir: string | null;
  diskLimitBytes: number;
  rssIntervalMs?: number | undefined;
  diskIntervalMs?: number | undefined;
  onExceed: (e: Exceeded) => void;
}

export interface Watchdog {
  /** Samples both now; reports and returns what was exceeded. */
  checkNow(): Promise<Exceeded | null>;
  /**
   * The check right before a result is reported, with the RSS the container measured itself as it
   * finished (no /proc read on the hot path) and a synchronous walk of the temp directory.
   */
  checkAtFinish(rssBytes: number | null): Exceeded | null;
  stop(): void;
}

/**
 * Starts watching one container process.
 * @example const dog = startWatchdog({ pid, memoryLimitBytes: 64 << 20, diskDir, diskLimitBytes, onExceed: (e) => c.kill(e.reason) });
 */
export function startWatchdog(o: WatchdogOptions): Watchdog {
  let stopped = false;
  /** The temp directory's mtime when it was last seen empty. */
  let emptyAt: number | null = null;
  const timers = new Set<NodeJS.Timeout>();

  function report(e: Exceeded): Exceeded {
    if (!stopped) {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      o.onExceed(e);
    }
    return e;
  }

  async function memory(): Promise<Exceeded | null> {
    if (o.memoryLimitBytes === null) return null;
    const pid = typeof o.pid === "number" ? o.pid : o.pid();
    if (pid === null || pid < 0) return null;
    const rss = await readRssBytes(pid);
    return rss !== null && rss > o.memoryLimitBytes
      ? { reason: "out_of_memory", usedBytes: rss, limitBytes: o.memoryLimitBytes }
      : null;
  }

  async function disk(): Promise<Exceeded | null> {
    if (o.diskDir === null) return null;
    const used = await dirSizeBytes(o.diskDir);
    return used > o.diskLimitBytes
      ? { reason: "disk_quota_exceeded", usedBytes: used, limitBytes: o.diskLimitBytes }
      : null;
  }

  function loop(sample: () => Promise<Exceeded | null>, everyMs: number): void {
    const t = setTimeout(() => {
      timers.delete(t);
      if (stopped) return;
      void sample().then((e) => {
        if (stopped) return;
        if (e) report(e);
        else loop(sample, everyMs);
      });
    }, everyMs);
    t.unref();
    timers.add(t);
  }

  if (o.memoryLimitBytes !== null) loop(memory, o.rssIntervalMs ?? 150);
  if (o.diskDir !== null) loop(disk, o.diskIntervalMs ?? 250);
  return {
    async checkNow() {
      if (stopped) return null;
      const e = (await memory()) ?? (await disk());
      return e && !stopped ? report(e) : null;
    },
    checkAtFinish(rss) {
      if (stopped) return null;
      if (o.memoryLimitBytes !== null && rss !== null && rss > o.memoryLimitBytes) {
        return report({ reason: "out_of_memory", usedBytes: rss, limitBytes: o.memoryLimitBytes });
      }
      if (o.diskDir === null) return null;
      // An empty directory stays empty until an entry is created in it, which changes its mtime:
      // the common case (a function that writes no temp files) costs one stat, not a walk.
      const st = statSync(o.diskDir, { throwIfNoEntry: false });
      if (!st || st.mtimeMs === emptyAt) return null;
      if (readdirSync(o.diskDir).length === 0) {
        emptyAt = st.mtimeMs;
        return null;
      }
      emptyAt = null;
      const used = dirSizeBytesSync(o.diskDir);
      return used > o.diskLimitBytes
        ? report({ reason: "disk_quota_exceeded", usedBytes: used, limitBytes: o.diskLimitBytes })
        : null;
    },
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}

/** "512.0 MB" style, for failure messages. */
export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MB`;
  return `${(n / 1024).toFixed(1)} KB`;
}
