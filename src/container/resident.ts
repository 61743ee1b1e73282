/**
 * This process's resident memory, read the cheap way for the figure every result carries (the
 * executor's limit check at the attempt's end, executor/limits/watchdog.ts): `/proc/self/statm`
 * kept open, one `pread` a reading. `process.memoryUsage.rss()` opens, reads and closes
 * `/proc/self/stat` instead, whose text the kernel builds by walking every thread of the process.
 *
 * Invariant: the figure is `process.memoryUsage.rss()`'s (the same kernel counter, resident pages
 * times the page size); where there is no procfs, it is that call's.
 */
import { openSync, readSync } from "node:fs";

const buf = Buffer.alloc(256);
let fd: number | null | undefined;
let pageBytes = 4096;

/** Resident pages from statm ("size resident shared …"), or null when unreadable. */
function residentPages(): number | null {
  if (fd === null) return null;
  try {
    fd ??= openSync("/proc/self/statm", "r");
    const n = readSync(fd, buf, 0, buf.length, 0);
    let at = buf.indexOf(0x20);
    if (at < 0 || at >= n) return null;
    let pages = 0;
    for (at++; at < n && buf[at]! >= 0x30 && buf[at]! <= 0x39; at++) pages = pages * 10 + buf[at]! - 0x30;
    return pages;
  } catch {
    fd = null;
    return null;
  }
}

/** Reads the page size once, from the two figures side by side (a power of two). */
function calibrate(): void {
  const pages = residentPages();
  if (!pages) return;
  pageBytes = 2 ** Math.round(Math.log2(process.memoryUsage.rss() / pages));
}
calibrate();

/**
 * Resident bytes of this process now.
 * @example ch.send({ t: "done", …, rss: residentBytes() });
 */
export function residentBytes(): number {
  const pages = residentPages();
  return pages === null ? process.memoryUsage.rss() : pages * pageBytes;
}
