/**
 * Prepared writes shared by several method groups: inserting a call, and applying a `CallPatch` or
 * a `RequestPatch` as a compare-and-set UPDATE.
 *
 * A patch distinguishes "leave unchanged" (`undefined`) from "set to null" (`null`). One cached
 * statement serves every patch shape: each optional column is written as
 * `CASE WHEN @set_x THEN @x ELSE x END`, with `@set_x` bound to 1 or 0.
 */
import type Database from "better-sqlite3";
import type { CallPatch, NewCall, RequestPatch } from "../types.js";
import { callColumns, json, payloadParams } from "../shared/rows.js";

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

const keep = (col: string) => `${col} = CASE WHEN @set_${col} THEN @${col} ELSE ${col} END`;
const keepPayload = (p: string) =>
  [`${p}_type`, `${p}_size`, `${p}_inline`, `${p}_blob`]
    .map((c) => `${c} = CASE WHEN @set_${p} THEN @${c} ELSE ${c} END`)
    .join(", ");
const flag = (v: unknown) => (v === undefined ? 0 : 1);

export function prepareWrites(db: Database.Database): Writes {
  // ON CONFLICT(id) only: a different id at a taken (parent, seq, item) is an engine bug (it must
  // check findChildCall first), so it fails loudly instead of looking like a re-attach.
  const insertCall = db.prepare(
    `INSERT INTO function_calls (id, request_id, parent_call_id, seq, item, function_name,
       args_type, args_size, args_inline, args_blob, status, not_before, created_at)
     VALUES (@id, @request_id, @parent_call_id, @seq, @item, @function_name,
       @args_type, @args_size, @args_inline, @args_blob, 'pending', @not_before, @created_at)
     ON CONFLICT (id) DO NOTHING`,
  );
  // No `RETURNING` on the hot path: SQLite buffers its rows in a temporary B-tree created on every
  // execution (~20k instructions); a point SELECT in the same write transaction costs less.
  const patchCall = db.prepare<Record<string, unknown>>(
    `UPDATE function_calls SET status = @status,
       ${["attempts_used", "infra_retries", "not_before", "error", "failure_reason", "pending_reason", "finished_at"].map(keep).join(",\n       ")},
       ${keepPayload("result")}
     WHERE id = @id AND status = @from`,
  );
  const requestSet = `status = @status,
       ${["failure_reason", "request_error", "error", "finished_at"].map(keep).join(",\n       ")},
       ${keepPayload("output")}`;
  const patchRequest = db.prepare<Record<string, unknown>>(
    `UPDATE requests SET ${requestSet} WHERE id = @id AND status IN ('pending', 'running')`,
  );
  const unfinishedSeq = db.prepare<[string], { event_seq: number }>(
    "SELECT event_seq FROM requests WHERE id = ? AND status IN ('pending', 'running')",
  );
  const patchRequestSeq = db.prepare<Record<string, unknown>>(
    `UPDATE requests SET ${requestSet}, event_seq = @event_seq WHERE id = @id`,
  );
  const requestParams = (id: string, p: RequestPatch): Record<string, unknown> => {
    const o = payloadParams(p.output);
    return {
      id,
      status: p.status,
      set_failure_reason: flag(p.failureReason),
      failure_reason: p.failureReason ?? null,
      set_request_error: flag(p.requestError),
      request_error: json(p.requestError),
      set_error: flag(p.error),
      error: json(p.error),
      set_finished_at: flag(p.finishedAt),
      finished_at: p.finishedAt ?? null,
      set_output: flag(p.output),
      output_type: o.type,
      output_size: o.size,
      output_inline: o.inline,
      output_blob: o.blob,
    };
  };

  return {
    insertCall(c) {
      return insertCall.run(callColumns(c)).changes > 0;
    },
    patchCall(id, from, p) {
      const r = payloadParams(p.result);
      const changed = patchCall.run({
        id,
        from,
        status: p.status,
        set_attempts_used: flag(p.attemptsUsed),
        attempts_used: p.attemptsUsed ?? null,
        set_infra_retries: flag(p.infraRetries),
        infra_retries: p.infraRetries ?? null,
        set_not_before: flag(p.notBefore),
        not_before: p.notBefore ?? null,
        set_error: flag(p.error),
        error: json(p.error),
        set_failure_reason: flag(p.failureReason),
        failure_reason: p.failureReason ?? null,
        set_pending_reason: flag(p.pendingReason),
        pending_reason: p.pendingReason ?? null,
        set_finished_at: flag(p.finishedAt),
        finished_at: p.finishedAt ?? null,
        set_result: flag(p.result),
        result_type: r.type,
        result_size: r.size,
        result_inline: r.inline,
        result_blob: r.blob,
      });
      return changed.changes > 0;
    },
    patchRequest(id, p) {
      return patchRequest.run(requestParams(id, p)).changes > 0;
    },
    patchRequestReserving(id, p, n) {
      const row = unfinishedSeq.get(id);
      if (!row) return null;
      const last = row.event_seq + n;
      patchRequestSeq.run({ ...requestParams(id, p), event_seq: last });
      return last;
    },
  };
}
