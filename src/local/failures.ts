/**
 * How a failure is classified and how a child's failure reaches its parent (docs/semantics.md).
 *
 * - `RequestError` → reason `request_error`, never retried, re-raised as itself in the parent.
 * - `TimeoutError` → reason `function_timeout`, re-raised as `TimeoutError`.
 * - `NonDeterminismError` / `CancelledError` → terminal, re-raised as themselves.
 * - anything else → reason `function_error`, re-raised as `FunctionError` with the child's message,
 *   function name and stack.
 * Retryability is the plain error's `retryable` flag, the same field the server engine reads.
 */
import {
  CancelledError,
  FunctionError,
  NonDeterminismError,
  RequestError,
  TimeoutError,
  isErrorNamed,
  type PlainError,
} from "../core/errors.js";
import type { FailureReason } from "../core/status.js";

/** The failure reason an error stands for. */
export function reasonOf(e: unknown): FailureReason {
  if (isErrorNamed(e, "TimeoutError")) return "function_timeout";
  if (isErrorNamed(e, "RequestError")) return "request_error";
  if (isErrorNamed(e, "CancelledError")) return "cancelled";
  return "function_error";
}

/** The error a parent sees for a child call that failed after its retries. */
export function errorForParent(p: PlainError, functionName: string): Error {
  switch (p.name) {
    case "RequestError":
      return new RequestError(p.message);
    case "TimeoutError":
      return new TimeoutError(p.message, p.functionName ?? functionName);
    case "NonDeterminismError":
      return new NonDeterminismError(p.message);
    case "CancelledError":
      return new CancelledError(p.message);
    default:
      return new FunctionError(p.message, p.functionName ?? functionName, p.stack);
  }
}
