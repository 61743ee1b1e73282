/** Why a container died while serving a call, in the failure words of docs/semantics.md. */
import type { FailureReason } from "../core/status.js";
import type { ContainerProcess } from "./container-process.js";

const OOM_PATTERNS = [/heap out of memory/i, /Allocation failed/i, /ERR_WORKER_OUT_OF_MEMORY/, /Reached heap limit/i];

export function explainExit(
  c: ContainerProcess,
  code: number | null,
  signal: NodeJS.Signals | null,
): { reason: FailureReason; message: string } {
  const detail = c.killDetail ? ` (${c.killDetail})` : "";
  if (c.killReason === "out_of_memory")
    return { reason: "out_of_memory", message: `the container exceeded its memory limit and was killed${detail}` };
  if (c.killReason === "disk_quota_exceeded")
    return {
      reason: "disk_quota_exceeded",
      message: `the container exceeded its ephemeral disk quota and was killed${detail}`,
    };
  if (OOM_PATTERNS.some((p) => c.stderrTail.some((l) => p.test(l)))) {
    return { reason: "out_of_memory", message: "the container ran out of memory (V8 heap limit reached)" };
  }
  const tail = c.stderrTail.slice(-3).join(" | ");
  return {
    reason: "function_error",
    message: `the container exited unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`})${tail ? `: ${tail}` : ""}`,
  };
}
