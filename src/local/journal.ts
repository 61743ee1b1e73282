/**
 * The journal of one local request: every call by durable id, and which function each (parent,
 * position) asked for (docs/semantics.md "Durability and replay").
 *
 * Invariants:
 * - a call whose id has `succeeded` is never run again: its journaled result bytes are decoded anew
 *   (a copy) for every reader;
 * - a `running` call is re-attached (the same promise), so a retried parent never starts a twin;
 * - a `failed` call runs again when asked again;
 * - a position (parent call id + seq) always names the same function and operation; a retried
 *   attempt that asks for something else there is a `NonDeterminismError`.
 */
import { NonDeterminismError, type PlainError } from "../core/errors.js";
import type { FailureReason } from "../core/status.js";

/** The result of a call: encoded result bytes, or its failure as plain data. */
export type CallOutcome<R = Uint8Array> =
  { ok: true; result: R } | { ok: false; reason: FailureReason; error: PlainError };

export type JournalEntry =
  { status: "running"; promise: Promise<CallOutcome> } | { status: "succeeded" | "failed"; outcome: CallOutcome };

export type CallOp = "call" | "map" | "reduce";

export class Journal {
  private readonly calls = new Map<string, JournalEntry>();
  private readonly positions = new Map<string, { functionName: string; op: CallOp }>();

  /**
   * Records that `parentId` asked for `functionName` at `seq`, or throws when a previous attempt
   * asked for something else there.
   */
  claimPosition(parentId: string, parentName: string, seq: number, functionName: string, op: CallOp): void {
    const key = `${parentId}#${seq}`;
    const prev = this.positions.get(key);
    if (!prev) {
      this.positions.set(key, { functionName, op });
      return;
    }
    if (prev.functionName !== functionName || prev.op !== op) {
      throw new NonDeterminismError(
        `non-deterministic replay in '${parentName}': call #${seq} was ${describeOp(prev.op, prev.functionName)} in an earlier attempt, ` +
          `but this attempt asked for ${describeOp(op, functionName)}. Calls must be made in the same order on every attempt.`,
      );
    }
  }

  get(id: string): JournalEntry | undefined {
    return this.calls.get(id);
  }

  /** Registers a call that just started; its settlement is journaled automatically. */
  start(id: string, promise: Promise<CallOutcome>): Promise<CallOutcome> {
    this.calls.set(id, { status: "running", promise });
    void promise.then((outcome) => {
      this.calls.set(id, { status: outcome.ok ? "succeeded" : "failed", outcome });
    });
    return promise;
  }
}

function describeOp(op: CallOp, fn: string): string {
  return op === "call" ? `'${fn}'` : `${op} over '${fn}'`;
}
