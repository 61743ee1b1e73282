/**
 * The one failure vocabulary (docs/semantics.md): how a thrown error is classified into a failure reason,
 * and how a child's terminal failure surfaces in its caller. `runLocal` and the container both use
 * this module, so a failure means the same thing in a unit test and in production.
 *
 * Classification of a thrown value (by brand, so users' subclasses and other SDK copies count):
 * - `RequestError` → `request_error`, never retried; the caller sees a `RequestError`.
 * - `TimeoutError` → `function_timeout` (the attempt's own timeout, or a child's left uncaught); the
 *   caller sees a `TimeoutError`.
 * - `CancelledError` → `cancelled`.
 * - anything else → `function_error`; the caller sees a `FunctionError` with the child's message,
 *   function name and (cleaned) stack.
 * Failures with no reason (the server refused the call itself: non-determinism, a cancelled request)
 * and `cancelled` / `internal_error` ones keep their own type in the caller.
 * Retryability is the plain error's `retryable` flag, the field the server engine reads too.
 */
import { FunctionError, RequestError, TimeoutError, fromPlainError, isErrorNamed, type PlainError } from "./errors.js";
import type { FailureReason } from "./status.js";

/**
 * The failure reason a thrown value stands for.
 *
 * @example
 * failureReasonOf(new RequestError("bad input")) // "request_error"
 */
export function failureReasonOf(e: unknown): FailureReason {
  if (isErrorNamed(e, "RequestError")) return "request_error";
  if (isErrorNamed(e, "TimeoutError")) return "function_timeout";
  if (isErrorNamed(e, "CancelledError")) return "cancelled";
  return "function_error";
}

/**
 * The failure reason of an attempt that threw `e` while `signal` (the attempt's abort signal) may
 * have been aborted: an abort (timeout or cancellation) explains the failure, whatever was thrown.
 *
 * @example
 * attemptFailureReason(new Error("aborted"), ac.signal) // "function_timeout" after a timeout abort
 */
export function attemptFailureReason(e: unknown, signal: Pick<AbortSignal, "aborted" | "reason">): FailureReason {
  if (!signal.aborted) return failureReasonOf(e);
  return isErrorNamed(signal.reason, "CancelledError") ? "cancelled" : "function_timeout";
}

/**
 * The error a caller sees for a child call that failed after its retries.
 *
 * @example
 * throw errorForCaller(outcome.error, outcome.reason, "child"); // FunctionError for function_error
 */
export function errorForCaller(
  error: PlainError,
  reason: FailureReason | undefined,
  functionName: string | undefined,
): Error {
  if (reason === "request_error" || error.name === "RequestError") return new RequestError(error.message);
  if (reason === "function_timeout" || (reason === undefined && error.name === "TimeoutError")) {
    return new TimeoutError(error.message, error.functionName ?? functionName);
  }
  if (reason === undefined || reason === "internal_error" || reason === "cancelled") return fromPlainError(error);
  if (error.name === "NonDeterminismError") return fromPlainError(error);
  return new FunctionError(error.message, error.functionName ?? functionName, error.stack);
}
