/**
 * Prepared writes shared by several method groups: inserting a call, and applying a `CallPatch` or
 * a `RequestPatch` as a compare-and-set UPDATE.
 *
 * A patch distinguishes "leave unchanged" (`undefined`) from "set to null" (`null`): each UPDATE
 * sets only the columns its patch gives (patch-update.ts).
 */
import type Database from "better-sqlite3";
import type { CallPatch, NewCall, Payload, RequestPatch } from "../types.js";
import { callColumns, json, payloadParams } from "../shared/rows.js";
import { column, preparePatch, type PatchField } from "./patch-update.js";

export interface Writes {
  /** Inserts a pending call; false if the id exists. Throws if its (parent, seq, item) is taken. */
  insertCall(call: NewCall): boolean;
  /** CAS on the call's status being `from`; false when it was not. */
  patchCall(id: string, from: string, patch: CallPatch): boolean;
  /** CAS on the request being unfinished (pending or running); false when it already finished. */
  patchRequest(id: string, patch: RequestPatch): boolean;
  /**
   * `patchRequest` that also reserves `n` event seqs in the same statement: the request's last
   * reserved seq, or null when it already finished (then nothing is reserved).
   */
  patchRequestReserving(id: string, patch: RequestPatch, n: number): number | null;
}

/** The four columns of a payload (`<prefix>_type`, …) as one field of a patch. */
export function payloadField<P>(prefix: string, get: (patch: P) => Payload | null | undefined): PatchField<P> {
  return {
    columns: [`${prefix}_type`, `${prefix}_size`, `${prefix}_inline`, `${prefix}_blob`],
    values: (patch) => {
      const p = get(patch);
      if (p === undefined) return undefined;
      const v = payloadParams(p);
      return [v.type, v.size, v.inline, v.blob];
    },
  };
}

/** A JSON text column as a field of a patch. */
export function jsonField<P>(name: string, get: (patch: P) => unknown): PatchField<P> {
  return column(name, (p) => {
    const v = get(p);
    return v === undefined ? undefined : json(v);
  });
}

const CALL_FIELDS: readonly PatchField<CallPatch>[] = [
  column("attempts_used", (p) => p.attemptsUsed),
  column("infra_retries", (p) => p.infraRetries),
  column("not_before", (p) => p.notBefore),
  jsonField("error", (p) => p.error),
  column("failure_reason", (p) => p.failureReason),
  column("pending_reason", (p) => p.pendingReason),
  column("finished_at", (p) => p.finishedAt),
  payloadField("result", (p) => p.result),
];

const REQUEST_FIELDS: readonly PatchField<RequestPatch>[] = [
  column("failure_reason", (p) => p.failureReason),
  jsonField("request_error", (p) => p.requestError),
  jsonField("error", (p) => p.error),
  column("finished_at", (p) => p.finishedAt),
  payloadField("output", (p) => p.output),
];

export function prepareWrites(db: Database.Database): Writes {
  // ON CONFLICT(id) only: a different id at a taken (parent, seq, item) is an engine bug (it must
  // check findChildCall first), so it fails loudly instead of looking like a re-attach.
  const insertCall = db.prepare<unknown[]>(
    `INSERT INTO function_calls (id, request_id, parent_call_id, seq, item, function_name,
       args_type, args_size, args_inline, args_blob, status, not_before, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
     ON CONFLICT (id) DO NOTHING`,
  );
  // No `RETURNING` on the hot path: SQLite buffers its rows in a temporary B-tree created on every
  // execution (~20k instructions); a point SELECT in the same write transaction costs less.
  const patchCall = preparePatch(db, "function_calls", ["status"], CALL_FIELDS, "id = ? AND status = ?");
  const patchRequest = preparePatch(
    db,
    "requests",
    ["status"],
    REQUEST_FIELDS,
    "id = ? AND status IN ('pending', 'running')",
  );
  const unfinishedSeq = db.prepare<[string], { event_seq: number }>(
    "SELECT event_seq FROM requests WHERE id = ? AND status IN ('pending', 'running')",
  );
  const patchRequestSeq = preparePatch(db, "requests", ["status", "event_seq"], REQUEST_FIELDS, "id = ?");

  return {
    insertCall(c) {
      const v = callColumns(c);
      return (
        insertCall.run(
          v.id,
          v.request_id,
          v.parent_call_id,
          v.seq,
          v.item,
          v.function_name,
          v.args_type,
          v.args_size,
          v.args_inline,
          v.args_blob,
          v.not_before,
          v.created_at,
        ).changes > 0
      );
    },
    patchCall(id, from, p) {
      return patchCall([p.status], p, [id, from]).changes > 0;
    },
    patchRequest(id, p) {
      return patchRequest([p.status], p, [id]).changes > 0;
    },
    patchRequestReserving(id, p, n) {
      const row = unfinishedSeq.get(id);
      if (!row) return null;
      const last = row.event_seq + n;
      patchRequestSeq([p.status, last], p, [id]);
      return last;
    },
  };
}
