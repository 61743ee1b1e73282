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
import { q, raw, run, type Piece } from "./statement.js";

/**
 * The owner fence (connect.ts `serverId`), a condition on the `requests` row being updated: its
 * events may be journaled by this connection's server when the request is unowned, is its own, or
 * its owner holds no live lease (by the database's clock); or when the connection names no server.
 * Every transition journals events through the `event_seq` counter, so fencing the counter fences
 * them all; a refused write rolls its whole transaction back.
 */
export const ownerFence: Piece = q`(requests.owner IS NULL
    OR current_setting('tributary.server', true) IS NULL
    OR requests.owner = current_setting('tributary.server', true)
    OR NOT EXISTS (SELECT 1 FROM servers s WHERE s.id = requests.owner
      AND s.lease_until >= (extract(epoch FROM clock_timestamp()) * 1000)::bigint))`;

/** A refused write: the request exists but another live server owns it (or it does not exist). */
export async function refused(tx: Tx, requestId: string): Promise<Error> {
  const [row] = await tx<{ owner: string | null }[]>`SELECT owner FROM requests WHERE id = ${requestId}`;
  if (!row) return new UnknownRequestError(requestId);
  return new Error(
    `request ${JSON.stringify(requestId)} is owned by server ${JSON.stringify(row.owner)}: this server no longer runs it`,
  );
}

/**
 * A column that raises the fence's refusal (SQLSTATE TRB01, migration 010) when `wrote` holds but
 * the event counter `counter` (a CTE) updated nothing: the statement then fails and writes nothing.
 */
export function refusedUnless(wrote: Piece, counter: Piece, requestId: string | Piece): Piece {
  return q`CASE WHEN ${wrote} AND NOT EXISTS (SELECT 1 FROM ${counter}) THEN tributary_refuse(${requestId}) END`;
}

/** An event's columns but its request and seq. */
function columns(e: NewEvent) {
  return {
    kind: e.kind,
    at: e.at,
    call_id: e.callId ?? null,
    parent_call_id: e.parentCallId === undefined ? null : (e.parentCallId ?? ""),
    function_name: e.functionName ?? null,
    attempt: e.attempt ?? null,
    data: e.data === undefined ? null : JSON.stringify(e.data),
  };
}

/**
 * Reserves seqs after the request's last one and inserts the events, in one statement (one round
 * trip): the UPDATE of the counter locks the request row, and the INSERT numbers the events from
 * what it returned. Throws for an unknown request (the UPDATE then returns nothing, so nothing is
 * inserted).
 */
export async function appendEvents(tx: Tx, requestId: string, events: readonly NewEvent[]): Promise<RequestEvent[]> {
  if (events.length === 0) return [];
  const n = events.length;
  const inserted = await run<{ seq: number }>(
    tx,
    q`
    WITH counter AS (
      UPDATE requests SET event_seq = event_seq + ${n} WHERE id = ${requestId} AND ${ownerFence} RETURNING event_seq
    )
    ${eventsInsert(requestId, events, q`counter.event_seq - ${n} + 1`, q`counter`)}
    RETURNING seq`,
  );
  if (inserted.length === 0) throw await refused(tx, requestId);
  const first = Math.min(...inserted.map((r) => r.seq));
  return events.map((e, i) => ({ ...e, seq: first + i }));
}

/**
 * `INSERT INTO events … SELECT` of `events` numbered from the SQL expression `firstSeq`, one row
 * per row of `from` (a CTE of the statement; none, nothing is inserted), for `requestId` (a value
 * or a SQL expression over `from`): how a single statement reserves seqs and inserts the events together. With `keep`, a `call:finished` event is inserted
 * only where `keep.call` holds and a `request:finished` only where `keep.request` does, and the
 * events kept are numbered consecutively (as `keptCount` counts them).
 *
 * The events travel as one text parameter, split by `string_to_array` (see {@link delimited}):
 * parsing them as JSON (`json_to_recordset`, which builds a hash table per object) was about a
 * tenth of the database's instructions per trivial request. Events a delimiter could appear in go
 * as JSON, as before.
 */
export function eventsInsert(
  requestId: string | Piece,
  events: readonly NewEvent[],
  firstSeq: Piece,
  from: Piece,
  keep?: EventFilter,
): Piece {
  const text = delimited(events, keep !== undefined);
  if (text === null) return jsonEventsInsert(requestId, events, firstSeq, from, keep);
  // Dropped events before each one (fields 8 and 9: call:finished and request:finished events
  // before it), subtracted where the filter drops them: the rank among the kept events, without
  // a window function and its sort.
  const seq = keep
    ? q`e.i - CASE WHEN ${keep.call} THEN 0 ELSE e.f[8]::int END - CASE WHEN ${keep.request} THEN 0 ELSE e.f[9]::int END`
    : E_I;
  const where = keep
    ? q`WHERE (e.f[1] <> 'call:finished' OR ${keep.call}) AND (e.f[1] <> 'request:finished' OR ${keep.request})`
    : NOTHING;
  // OFFSET 0 keeps the subquery as it is: pulled up, each `e.f[k]` would split its row again.
  return q`
    INSERT INTO events (request_id, seq, kind, at, call_id, parent_call_id, function_name, attempt, data)
    SELECT ${requestId}, ${firstSeq} + ${seq}, e.f[1], e.f[2]::bigint, e.f[3], e.f[4], e.f[5], e.f[6]::int, e.f[7]
    FROM ${from}, (SELECT (r.i - 1)::int AS i, string_to_array(r.t, ${FIELD}, ${NULL_FIELD}) AS f
      FROM unnest(string_to_array(${text}::text, ${ROW})) WITH ORDINALITY AS r(t, i) OFFSET 0) e ${where}`;
}

/** Separators of {@link delimited}: control characters, which `JSON.stringify` always escapes. */
const ROW_SEP = "\x1e";
const FIELD_SEP = "\x1f";
const NULL_MARK = "\x1d";
const ROW = raw(`E'\\x1e'`);
const FIELD = raw(`E'\\x1f'`);
const NULL_FIELD = raw(`E'\\x1d'`);
const CONTROL = /[\x00-\x1f]/;

/**
 * The events as text: rows split by U+001E, fields by U+001F, a NULL field as U+001D, in the order
 * kind, at, call_id, parent_call_id, function_name, attempt, data (with `counts`, then the
 * `call:finished` and the `request:finished` events before it). Null when a text field holds a
 * control character (it could be a separator; the JSON path then reports a NUL as it always did).
 * `data` is `JSON.stringify`'s output, which escapes every control character; a number is written
 * as JSON writes it (not finite: NULL).
 */
function delimited(events: readonly NewEvent[], counts: boolean): string | null {
  let out = "";
  let calls = 0;
  let requests = 0;
  for (let i = 0; i < events.length; i++) {
    const c = columns(events[i]!);
    const texts = [c.kind, c.call_id, c.parent_call_id, c.function_name];
    for (const t of texts) if (typeof t === "string" && CONTROL.test(t)) return null;
    if (i > 0) out += ROW_SEP;
    out +=
      field(c.kind) +
      FIELD_SEP +
      field(c.at) +
      FIELD_SEP +
      field(c.call_id) +
      FIELD_SEP +
      field(c.parent_call_id) +
      FIELD_SEP +
      field(c.function_name) +
      FIELD_SEP +
      field(c.attempt) +
      FIELD_SEP +
      field(c.data);
    if (counts) {
      out += FIELD_SEP + calls + FIELD_SEP + requests;
      if (c.kind === "call:finished") calls++;
      else if (c.kind === "request:finished") requests++;
    }
  }
  return out;
}

function field(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return NULL_MARK;
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : NULL_MARK;
  return v;
}

/** {@link eventsInsert} with the events as JSON, for text a separator could appear in. */
function jsonEventsInsert(
  requestId: string | Piece,
  events: readonly NewEvent[],
  firstSeq: Piece,
  from: Piece,
  keep?: EventFilter,
): Piece {
  // `json`, not `jsonb`: json_to_recordset reads the text once as it parses it, where jsonb would
  // first build (and sort the keys of) a binary document.
  const rows = JSON.stringify(events.map((e, i) => ({ i, ...columns(e) })));
  const seq = keep ? ROW_NUMBER : E_I;
  const where = keep
    ? q`WHERE (e.kind <> 'call:finished' OR ${keep.call}) AND (e.kind <> 'request:finished' OR ${keep.request})`
    : NOTHING;
  return q`
    INSERT INTO events (request_id, seq, kind, at, call_id, parent_call_id, function_name, attempt, data)
    SELECT ${requestId}, ${firstSeq} + ${seq}, e.kind, e.at, e.call_id, e.parent_call_id, e.function_name, e.attempt, e.data
    FROM ${from}, json_to_recordset(${rows}::text::json) AS e(i int, kind text, at bigint, call_id text,
      parent_call_id text, function_name text, attempt int, data text) ${where}`;
}

/** SQL conditions under which the `call:finished` and `request:finished` events are kept. */
export interface EventFilter {
  call: Piece;
  request: Piece;
}

const ROW_NUMBER = q`(row_number() OVER (ORDER BY e.i))::int - 1`;
const E_I = q`e.i`;
const NOTHING = q``;

/** How many of `events` a filter keeps, as a SQL expression over its conditions. */
export function keptCount(events: readonly NewEvent[], keep: EventFilter): Piece {
  const calls = events.filter((e) => e.kind === "call:finished").length;
  const requests = events.filter((e) => e.kind === "request:finished").length;
  const always = events.length - calls - requests;
  return q`(${always}::int + CASE WHEN ${keep.call} THEN ${calls}::int ELSE 0 END
    + CASE WHEN ${keep.request} THEN ${requests}::int ELSE 0 END)`;
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
