/**
 * The `CallRuntime` of one local attempt: how user code's calls to other functions run.
 *
 * Invariants:
 * - the position (seq) of a call is taken synchronously at the call site, in call order, so
 *   `Promise.all(items.map(f))` gets the same positions on every attempt;
 * - arguments are copied with the structured codec at the call site; a value that cannot cross
 *   rejects the returned promise with a `SerializationError` the caller can catch, and nothing runs;
 * - results are decoded from journaled bytes, so each caller gets its own copy;
 * - while any child is in flight the attempt's timeout is paused;
 * - in a replay every call must come from the journal: anything else is non-determinism.
 */
import { decodeStructured, encodeStructured, structuredCopy } from "../core/codec.js";
import { childCallId, itemCallId } from "../core/durable-id.js";
import { CancelledError, NonDeterminismError, SDKUsageError } from "../core/errors.js";
import { lookupFunction, type FunctionEntry } from "../core/registry.js";
import type { CallRuntime } from "../core/scope.js";
import { errorForCaller } from "../core/failures.js";
import type { CallOp, CallOutcome } from "./journal.js";
import type { AttemptState, RequestRun } from "./request-run.js";

/** Starts a fresh child call (provided by the call runner). */
export type SpawnChild = (id: string, parentId: string, entry: FunctionEntry, args: Uint8Array) => Promise<CallOutcome>;

export function createCallRuntime(run: RequestRun, attempt: AttemptState, spawn: SpawnChild): CallRuntime {
  const parent = attempt.call;
  const parentName = parent.entry.spec.name;

  /** Synchronous part of every operation: liveness, position, the function's entry. */
  const claim = (functionName: string, op: CallOp): { seq: number; entry: FunctionEntry } => {
    if (attempt.over) throw new CancelledError(`'${parentName}' called '${functionName}' after its attempt ended`);
    if (run.stop.signal.aborted) throw new CancelledError(`the request ended before '${functionName}' could start`);
    const entry = lookupFunction(functionName);
    if (!entry) throw new SDKUsageError(`unknown function '${functionName}'`);
    const seq = attempt.nextSeq++;
    try {
      run.journal.claimPosition(parent.id, parentName, seq, functionName, op);
    } catch (e) {
      attempt.poison ??= e as Error;
      throw e;
    }
    return { seq, entry };
  };

  /** Runs (or finds in the journal) one child call and returns its outcome. */
  const child = (id: string, entry: FunctionEntry, args: Uint8Array): Promise<CallOutcome> => {
    attempt.asked.push(id);
    const known = run.journal.get(id);
    if (known?.status === "succeeded") return Promise.resolve(known.outcome);
    if (attempt.replay && known?.status === "failed") return Promise.resolve(known.outcome);
    if (attempt.replay && known?.status !== "running") {
      const err = new NonDeterminismError(
        `non-deterministic replay of '${parentName}': it asked for '${entry.spec.name}' (call #${attempt.asked.length}), which the original attempt did not call`,
      );
      attempt.poison ??= err;
      return Promise.reject(err);
    }
    const p = known?.status === "running" ? known.promise : run.journal.start(id, spawn(id, parent.id, entry, args));
    attempt.timer?.pause();
    return p.finally(() => attempt.timer?.resume());
  };

  const unwrap = (o: CallOutcome, functionName: string): unknown => {
    if (!o.ok) throw errorForCaller(o.error, o.reason, functionName);
    return decodeStructured(o.result, `result of ${functionName}`);
  };

  return {
    call(functionName: string, args: unknown[]): Promise<unknown> {
      try {
        const { seq, entry } = claim(functionName, "call");
        const bytes = encodeStructured(args, `arguments of ${functionName}`);
        return child(childCallId(parent.id, seq, functionName), entry, bytes).then((o) => unwrap(o, functionName));
      } catch (e) {
        return Promise.reject(e);
      }
    },

    map(functionName: string, items: unknown[]): Promise<unknown[]> {
      try {
        const { seq, entry } = claim(functionName, "map");
        const encoded = items.map((item, i) => encodeStructured([item], `map item ${i} of ${functionName}`));
        const runs = encoded.map((bytes, i) => child(itemCallId(parent.id, seq, functionName, "map", i), entry, bytes));
        // Wait for every item, then report the lowest failing index: the same error on every run.
        return Promise.all(runs).then((outcomes) => outcomes.map((o) => unwrap(o, functionName)));
      } catch (e) {
        return Promise.reject(e);
      }
    },

    reduce(functionName: string, items: unknown[], initial: { present: boolean; value?: unknown }): Promise<unknown> {
      try {
        const { seq, entry } = claim(functionName, "reduce");
        if (items.length === 0 && !initial.present)
          throw new SDKUsageError(`${functionName}.reduce: an empty list needs an initial value`);
        const first = initial.present ? 0 : 1;
        const start = structuredCopy(initial.present ? initial.value : items[0]);
        return (async () => {
          let acc: unknown = start;
          for (let i = first; i < items.length; i++) {
            const bytes = encodeStructured([acc, items[i]], `reduce step ${i} of ${functionName}`);
            acc = unwrap(
              await child(itemCallId(parent.id, seq, functionName, "reduce", i), entry, bytes),
              functionName,
            );
          }
          return acc;
        })();
      } catch (e) {
        return Promise.reject(e);
      }
    },
  };
}
