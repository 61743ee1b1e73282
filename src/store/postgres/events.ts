/**
 * The per-request event journal (the SSE stream's source of truth), PostgreSQL flavour.
 *
 * Invariant: `seq` is allocated by `UPDATE requests SET event_seq = event_seq + n … RETURNING`
 * inside the caller's transaction. That UPDATE holds the request row's lock until COMMIT, so a
 * second writer of the same request waits and continues after it: seqs are 1, 2, 3, … per request,
 * gap-free, in commit order, and never reused. Every function here takes the caller's transaction
 * (that is what ties an event to the state change it announces).
 */
import type { RequestEvent } from "../../core/request.js";
import { toEvent, UnknownRequestError, type SqlEvent } from "../shared/events.js";
import type { NewEvent } from "../types.js";
import type { Sql, Tx } from "./connect.js";

/** Inserts events numbered from `firstSeq` (the caller has reserved those seqs). */
export async function insertEvents(
  tx: Tx,
  requestId: string,
  firstSeq: number,
  events: readonly NewEvent[],
): Promise<RequestEvent[]> {
  if (events.length === 0) return [];
  const out: RequestEvent[] = events.map((e, i) => ({ ...e, seq: firstSeq + i }));
  const rows = out.map((e) => ({
    request_id: requestId,
    seq: e.seq,
    kind: e.kind,
    at: e.at,
    call_id: e.callId ?? null,
    parent_call_id: e.parentCallId === undefined ? null : (e.parentCallId ?? ""),
    function_name: e.functionName ?? null,
    attempt: e.attempt ?? null,
    data: e.data === undefined ? null : JSON.stringify(e.data),
  }));
  // One multi-row INSERT per batch: one round trip whatever the number of events.
  await tx`INSERT INTO events ${tx(rows)}`;
  return out;
}

/** Reserves seqs after the request's last one and inserts the events. Throws for an unknown request. */
export async function appendEvents(tx: Tx, requestId: string, events: readonly NewEvent[]): Promise<RequestEvent[]> {
  if (events.length === 0) return [];
  const [row] = await tx<{ event_seq: number }[]>`
    UPDATE requests SET event_seq = event_seq + ${events.length} WHERE id = ${requestId} RETURNING event_seq`;
  if (!row) throw new UnknownRequestError(requestId);
  return insertEvents(tx, requestId, row.event_seq - events.length + 1, events);
}

/** Events with seq > afterSeq, ascending, at most `limit`. */
export async function listEvents(
  sql: Sql,
  requestId: string,
  afterSeq: number,
  limit: number,
): Promise<RequestEvent[]> {
  const rows = await sql<SqlEvent[]>`
    SELECT seq, kind, at, call_id, parent_call_id, function_name, attempt, data
    FROM events WHERE request_id = ${requestId} AND seq > ${afterSeq} ORDER BY seq LIMIT ${limit}`;
  return rows.map(toEvent);
}

/** The latest event of `kind` for a request, or null. */
export async function lastEvent(sql: Sql, requestId: string, kind: string): Promise<RequestEvent | null> {
  const rows = await sql<SqlEvent[]>`
    SELECT seq, kind, at, call_id, parent_call_id, function_name, attempt, data
    FROM events WHERE request_id = ${requestId} AND kind = ${kind} ORDER BY seq DESC LIMIT 1`;
  return rows[0] ? toEvent(rows[0]) : null;
}
