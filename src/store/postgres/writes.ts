/**
 * Writes shared by several method groups, each run inside the caller's transaction: inserting a
 * call, and applying a `CallPatch` or a `RequestPatch` as a compare-and-set UPDATE … RETURNING.
 *
 * A patch distinguishes "leave unchanged" (`undefined`) from "set to null" (`null`): only the
 * fields present become SET columns (`setList` builds `col = $n, …`), so a statement text
 * exists per patch shape; shapes are few, and each is prepared once per connection.
 */
import type { CallPatch, NewCall, Payload, RequestPatch } from "../types.js";
import { callColumns, json, payloadParams } from "../shared/rows.js";
import type { Tx } from "./connect.js";
import { q, run, setList, type Param, type Piece } from "./statement.js";

/** SET columns of an UPDATE (`setList(columns)` builds `col = $n, …`). */
export type Columns = Record<string, Param>;

/**
 * Inserts a pending call; false if the id exists. Throws if its (parent, seq, item) is taken:
 * ON CONFLICT (id) only, because a different id at a taken position is an engine bug (it must
 * check findChildCall first), so it fails loudly instead of looking like a re-attach.
 */
export async function insertCall(tx: Tx, c: NewCall): Promise<boolean> {
  const rows = await run(tx, q`${callInsert(c)} ON CONFLICT (id) DO NOTHING`);
  return rows.count > 0;
}

/**
 * `INSERT INTO function_calls (…) SELECT` of many pending calls, in the order given (a statement may
 * add ON CONFLICT and RETURNING): one parameter, the rows as JSON, inline arguments in base64.
 * `json`, not `jsonb`, as for events (events.ts `eventsInsert`): read once as it is parsed.
 */
export function callsInsert(calls: readonly NewCall[]): Piece {
  const rows = JSON.stringify(
    calls.map((c, i) => {
      const row = callColumns(c);
      const a = row.args_inline;
      return {
        i,
        ...row,
        args_inline: a ? Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64") : null,
      };
    }),
  );
  return q`
    INSERT INTO function_calls (id, request_id, parent_call_id, seq, item, function_name,
      args_type, args_size, args_inline, args_blob, status, not_before, created_at)
    SELECT c.id, c.request_id, c.parent_call_id, c.seq, c.item, c.function_name,
      c.args_type, c.args_size, decode(c.args_inline, 'base64'), c.args_blob, 'pending', c.not_before, c.created_at
    FROM json_to_recordset(${rows}::text::json) AS c(i int, id text, request_id text,
      parent_call_id text, seq int, item int, function_name text, args_type text, args_size bigint,
      args_inline text, args_blob text, not_before bigint, created_at bigint)
    ORDER BY c.i`;
}

/**
 * `INSERT INTO function_calls (…) SELECT <the pending call>` (a statement may add a FROM). With
 * `running`, the call as its first attempt's start leaves it (fusion.ts): running, with its counters.
 */
export function callInsert(c: NewCall, running?: { attemptsUsed: number; infraRetries: number }): Piece {
  const a = payloadParams(c.args);
  const status = running ? q`'running', ${running.attemptsUsed}, ${running.infraRetries}` : q`'pending', 0, 0`;
  return q`
    INSERT INTO function_calls (id, request_id, parent_call_id, seq, item, function_name,
      args_type, args_size, args_inline, args_blob, status, attempts_used, infra_retries, not_before, created_at)
    SELECT ${c.id}, ${c.requestId}, ${c.parentCallId}, ${c.seq}, ${c.item}, ${c.functionName},
      ${a.type}, ${a.size}, ${a.inline}, ${a.blob}, ${status}, ${c.notBefore}, ${c.createdAt}`;
}

/** CAS on the call's status being `from`; returns the call's request id, or null. */
export async function patchCall(tx: Tx, id: string, from: string, p: CallPatch): Promise<string | null> {
  const [row] = await run<{ request_id: string }>(
    tx,
    q`UPDATE function_calls SET ${setList(callSet(p))} WHERE id = ${id} AND status = ${from} RETURNING request_id`,
  );
  return row ? row.request_id : null;
}

/** The SET columns of a call patch: only the fields it names. */
export function callSet(p: CallPatch): Columns {
  const set: Columns = { status: p.status };
  if (p.attemptsUsed !== undefined) set.attempts_used = p.attemptsUsed;
  if (p.infraRetries !== undefined) set.infra_retries = p.infraRetries;
  if (p.notBefore !== undefined) set.not_before = p.notBefore;
  if (p.error !== undefined) set.error = json(p.error);
  if (p.failureReason !== undefined) set.failure_reason = p.failureReason;
  if (p.pendingReason !== undefined) set.pending_reason = p.pendingReason;
  if (p.finishedAt !== undefined) set.finished_at = p.finishedAt;
  if (p.result !== undefined) setPayload(set, "result", p.result);
  return set;
}

/** CAS on the request being unfinished (pending or running); false when it already finished. */
export async function patchRequest(tx: Tx, id: string, p: RequestPatch): Promise<boolean> {
  // The statuses are parameters, so a generic plan never scans a partial index (see attempts.ts).
  const rows = await run(
    tx,
    q`UPDATE requests SET ${setList(requestSet(p))} WHERE id = ${id} AND status IN (${"pending"}, ${"running"})`,
  );
  return rows.count > 0;
}

/** The SET columns of a request patch: only the fields it names. */
export function requestSet(p: RequestPatch): Columns {
  const set: Columns = { status: p.status };
  if (p.failureReason !== undefined) set.failure_reason = p.failureReason;
  if (p.requestError !== undefined) set.request_error = json(p.requestError);
  if (p.error !== undefined) set.error = json(p.error);
  if (p.finishedAt !== undefined) set.finished_at = p.finishedAt;
  if (p.output !== undefined) setPayload(set, "output", p.output);
  return set;
}

function setPayload(set: Columns, prefix: string, payload: Payload | null): void {
  const p = payloadParams(payload);
  set[`${prefix}_type`] = p.type;
  set[`${prefix}_size`] = p.size;
  set[`${prefix}_inline`] = p.inline;
  set[`${prefix}_blob`] = p.blob;
}
