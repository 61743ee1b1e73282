/**
 * Memory and disk limits the kernel enforces on a sandboxed container, and how their failures are
 * recognised.
 *
 * Memory: `RLIMIT_DATA` (private writable memory: the V8 heap, Buffers, thread stacks) is set so
 * that resident memory cannot pass 1.25× the function's limit: RSS = anonymous memory (≤ the data
 * limit) + file-backed pages (the Node binary's text, about 35–50 MB). `RLIMIT_AS` is not used: V8
 * and WebAssembly reserve far more address space than they ever touch. The V8 heap limit and the
 * RSS watchdog stay as the second line, and for small limits (under about 200 MB, where Node
 * itself would not start inside a data limit) they are the only line.
 *
 * Disk: the container's `/tmp` is a tmpfs of exactly `ephemeralDisk`, so a write past it fails
 * with ENOSPC inside the container.
 *
 * A function that fails because of either (an uncaught ENOSPC, or an ArrayBuffer the kernel
 * refused) failed because of its limit: its attempt is reported as `disk_quota_exceeded` /
 * `out_of_memory` and its container is replaced.
 */
import type { PlainError } from "../../core/errors.js";
import type { LimitReason } from "./watchdog.js";

/** Room left for file-backed resident pages (the runtime's code) above the data limit. */
export const FILE_BACKED_ALLOWANCE = 64 * 2 ** 20;
/** Below this a data limit would stop Node itself from starting; the watchdog then enforces. */
export const MIN_DATA_LIMIT = 192 * 2 ** 20;

/**
 * The `RLIMIT_DATA` for a container whose memory limit is `memoryBytes`.
 * @example dataLimitBytes(2 ** 30) // 1.25 GiB − 64 MiB
 */
export function dataLimitBytes(memoryBytes: number): number {
  return Math.max(MIN_DATA_LIMIT, Math.floor(memoryBytes * 1.25) - FILE_BACKED_ALLOWANCE);
}

/**
 * The limit behind a function's failure, when the failure is the kernel refusing memory or disk.
 * @example kernelLimitFailure({ name: "Error", message: "ENOSPC: no space left on device, write", retryable: true }) // "disk_quota_exceeded"
 */
export function kernelLimitFailure(e: PlainError): LimitReason | null {
  // A child's failure relayed as FunctionError is the child's limit, reported by the child.
  if (e.name === "FunctionError") return null;
  if (/^ENOSPC\b/.test(e.message)) return "disk_quota_exceeded";
  if (e.name === "RangeError" && /^Array buffer allocation failed/.test(e.message)) return "out_of_memory";
  return null;
}
