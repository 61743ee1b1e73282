/**
 * One function call from creation to its terminal status: attempts, retries with backoff, and the
 * optional always-replay check (docs/semantics.md "Retries", "Durability and replay").
 *
 * - Policy: the function's own `retries`, else the application's, else none.
 * - The delay before retry k is `backoffMs(policy, k)` on the injected clock.
 * - An error whose plain form is not `retryable` (RequestError, NonDeterminismError, …) ends the call
 *   at once; any other failure is retried while attempts remain.
 * - Every attempt decodes its own copy of the arguments, so a mutation never leaks into a retry.
 */
import { decodeStructured, encodeStructured } from "../core/codec.js";
import { sleep } from "../core/clock.js";
import { CancelledError, NonDeterminismError, isErrorNamed, toPlainError } from "../core/errors.js";
import type { FunctionEntry } from "../core/registry.js";
import { backoffMs, effectivePolicy } from "../core/retry.js";
import { isTerminal } from "../core/status.js";
import { runAttempt, type AttemptResult } from "./attempt.js";
import type { SpawnChild } from "./call-runtime.js";
import { failureReasonOf } from "../core/failures.js";
import type { CallOutcome } from "./journal.js";
import { emit, finishCall, type AttemptState, type CallState, type RequestRun } from "./request-run.js";

export async function runCall<R>(
  run: RequestRun,
  id: string,
  parentId: string | null,
  entry: FunctionEntry,
  args: Uint8Array,
  encodeResult: (value: unknown) => R | Promise<R>,
): Promise<CallOutcome<R>> {
  const call: CallState = { id, parentId, entry, status: "pending", attemptsUsed: 0, abortRunning: null };
  const name = entry.spec.name;
  const spawn: SpawnChild = (childId, parent, childEntry, childArgs) =>
    runCall(run, childId, parent, childEntry, childArgs, (v) =>
      encodeStructured(v, `result of ${childEntry.spec.name}`),
    ).catch((e: unknown) => internalFailure(e, childEntry.spec.name));
  run.liveCalls.add(call);
  run.progress.add(call.id, parentId);
  emit(run, call, "call:created");
  const policy = effectivePolicy(entry.spec.retries, run.app.spec.retries);
  for (let n = 1; ; n++) {
    if (run.stop.signal.aborted) finishCall(run, call, "cancelled", "cancelled");
    if (isTerminal(call.status)) return cancelled(name);
    call.status = "running";
    call.attemptsUsed = n;
    emit(run, call, "attempt:started", n);
    const { result, attempt } = await runAttempt(run, call, n, decodeArgs(args), encodeResult, spawn, false);
    if (isTerminal(call.status)) return cancelled(name);
    const outcome =
      result.ok && run.alwaysReplay ? await replayCheck(run, call, attempt, args, encodeResult, spawn, result) : result;
    if (isTerminal(call.status)) return cancelled(name);
    if (outcome.ok) {
      finishCall(run, call, "succeeded", null);
      return { ok: true, result: outcome.result };
    }
    const reason = failureReasonOf(outcome.error);
    const error = toPlainError(outcome.error, name);
    emit(run, call, "attempt:failed", n, { reason, error });
    if (!error.retryable || n > policy.maxRetries) {
      finishCall(run, call, "failed", reason);
      return { ok: false, reason, error };
    }
    try {
      await sleep(run.clock, backoffMs(policy, n), run.stop.signal);
    } catch {
      finishCall(run, call, "cancelled", "cancelled");
      return cancelled(name);
    }
  }
}

/** A fault of the runner itself (never of user code): the call fails with `internal_error`. */
export function internalFailure<R>(e: unknown, name: string): CallOutcome<R> {
  return { ok: false, reason: "internal_error", error: { ...toPlainError(e, name), retryable: false } };
}

function decodeArgs(bytes: Uint8Array): unknown[] {
  return decodeStructured(bytes, "arguments") as unknown[];
}

function cancelled<R>(name: string): CallOutcome<R> {
  return { ok: false, reason: "cancelled", error: toPlainError(new CancelledError("the request was cancelled"), name) };
}

/**
 * alwaysReplay: runs the successful attempt once more against the journal (as Restate's test mode
 * does). The replay must ask for exactly the same calls, in the same order, and must succeed too;
 * otherwise the call fails with a terminal `NonDeterminismError`. The original result is kept.
 */
async function replayCheck<R>(
  run: RequestRun,
  call: CallState,
  original: AttemptState,
  args: Uint8Array,
  encodeResult: (value: unknown) => R | Promise<R>,
  spawn: SpawnChild,
  originalResult: AttemptResult<R>,
): Promise<AttemptResult<R>> {
  const name = call.entry.spec.name;
  const { result, attempt } = await runAttempt(run, call, original.number, decodeArgs(args), encodeResult, spawn, true);
  if (!result.ok) {
    if (isErrorNamed(result.error, "NonDeterminismError") || isErrorNamed(result.error, "CancelledError"))
      return result;
    const msg = result.error instanceof Error ? result.error.message : String(result.error);
    return {
      ok: false,
      error: new NonDeterminismError(`replay of '${name}' failed where the original attempt succeeded: ${msg}`),
    };
  }
  const same =
    attempt.asked.length === original.asked.length && attempt.asked.every((id, i) => id === original.asked[i]);
  if (!same) {
    return {
      ok: false,
      error: new NonDeterminismError(
        `replay of '${name}' made ${attempt.asked.length} calls where the original attempt made ${original.asked.length}; calls must not depend on time, randomness or other non-replayed input`,
      ),
    };
  }
  return originalResult;
}
