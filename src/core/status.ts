/**
 * The one vocabulary of docs/semantics.md: these string values are the database column values, the API
 * values, the CLI words and the dashboard labels.
 *
 * Request and function call lifecycle:
 *   pending → running → succeeded | failed | cancelled
 * Attempt lifecycle (one run of a call on one container):
 *   running → succeeded | failed | cancelled
 */

/** Status of a request or a function call. */
export type Status = "pending" | "running" | "succeeded" | "failed" | "cancelled";
export const STATUSES: readonly Status[] = ["pending", "running", "succeeded", "failed", "cancelled"];

/** Status of one attempt. */
export type AttemptStatus = "running" | "succeeded" | "failed" | "cancelled";

/** Why a request, call or attempt failed. */
export type FailureReason =
  | "function_error"
  | "request_error"
  | "function_timeout"
  | "out_of_memory"
  | "disk_quota_exceeded"
  | "constraint_unsatisfiable"
  | "cancelled"
  | "internal_error";
export const FAILURE_REASONS: readonly FailureReason[] = [
  "function_error",
  "request_error",
  "function_timeout",
  "out_of_memory",
  "disk_quota_exceeded",
  "constraint_unsatisfiable",
  "cancelled",
  "internal_error",
];

/** True for statuses no transition leaves. */
export function isTerminal(s: Status | AttemptStatus): boolean {
  return s === "succeeded" || s === "failed" || s === "cancelled";
}

/** Tensorlake-compatible outcome: `null` while unfinished, `"success"`, or `{ failure: reason }`. */
export type Outcome = null | "success" | { failure: FailureReason };

export function outcomeOf(status: Status, reason: FailureReason | null): Outcome {
  if (status === "succeeded") return "success";
  if (status === "failed") return { failure: reason ?? "internal_error" };
  if (status === "cancelled") return { failure: "cancelled" };
  return null;
}

/** Event kinds of a request's stream (`noun:verb`). */
export type EventKind =
  | "request:started"
  | "call:created"
  | "attempt:started"
  | "progress"
  | "attempt:failed"
  | "attempt:succeeded"
  | "call:finished"
  | "request:finished";
