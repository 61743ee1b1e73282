/**
 * The per-request event journal (the SSE stream's source of truth).
 *
 * Invariant: `seq` is allocated from `requests.event_seq` by an UPDATE inside the caller's write
 * transaction. SQLite has one writer at a time, so seqs are 1, 2, 3, … per request, gap-free, in
 * commit order, and never reused. Every function here is synchronous and MUST run inside a
 * transaction opened by the caller (that is what ties an event to the state change it announces).
 */
import type Database from "better-sqlite3";
import type { RequestEvent } from "../../core/request.js";
import { toEvent, UnknownRequestError, type SqlEvent } from "../shared/events.js";
import type { NewEvent } from "../types.js";

/** Most events one INSERT statement writes (9 parameters each, far below SQLite's limit). */
const MULTI_MAX = 16;

export interface EventLog {
  /** Allocates seqs after the request's last one and inserts the events. In a transaction. */
  append(requestId: string, events: readonly NewEvent[]): RequestEvent[];
  /** Inserts events numbered from `firstSeq` (a new request, whose `event_seq` was set to match). */
  insert(requestId: string, firstSeq: number, events: readonly NewEvent[]): RequestEvent[];
  list(requestId: string, afterSeq: number, limit: number): RequestEvent[];
  last(requestId: string, kind: string): RequestEvent | null;
}

export function createEventLog(db: Database.Database): EventLog {
  // A read, then a write, rather than one `UPDATE … RETURNING`: SQLite buffers RETURNING rows in a
  // temporary B-tree that it creates on every execution (~20k instructions, more than this SELECT).
  // Both run inside the caller's write transaction, so nothing can come between them.
  const lastSeq = db.prepare<[string], { event_seq: number }>("SELECT event_seq FROM requests WHERE id = ?");
  const setLastSeq = db.prepare<[number, string]>("UPDATE requests SET event_seq = ? WHERE id = ?");
  // One INSERT per event count up to MULTI_MAX (a transition writes 1–3 events): one statement
  // run, not one per event. Larger batches (a map's items) go in chunks of MULTI_MAX.
  const inserts: Database.Statement<unknown[]>[] = [];
  const insertOf = (n: number): Database.Statement<unknown[]> =>
    (inserts[n] ??= db.prepare<unknown[]>(
      `INSERT INTO events (request_id, seq, kind, at, call_id, parent_call_id, function_name, attempt, data)
       VALUES ${Array.from({ length: n }, () => "(?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`,
    ));
  const select = db.prepare<[string, number, number], SqlEvent>(
    `SELECT seq, kind, at, call_id, parent_call_id, function_name, attempt, data
     FROM events WHERE request_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
  );

  // Walks the (request_id, seq) index backwards: cheap for the usual case (a recent progress).
  const selectLast = db.prepare<[string, string], SqlEvent>(
    `SELECT seq, kind, at, call_id, parent_call_id, function_name, attempt, data
     FROM events WHERE request_id = ? AND kind = ? ORDER BY seq DESC LIMIT 1`,
  );

  function insert(requestId: string, firstSeq: number, events: readonly NewEvent[]): RequestEvent[] {
    const out: RequestEvent[] = new Array(events.length);
    for (let from = 0; from < events.length; from += MULTI_MAX) {
      const n = Math.min(MULTI_MAX, events.length - from);
      const params: unknown[] = new Array(n * 9);
      for (let i = 0; i < n; i++) {
        const e = events[from + i]!;
        const seq = firstSeq + from + i;
        const p = i * 9;
        params[p] = requestId;
        params[p + 1] = seq;
        params[p + 2] = e.kind;
        params[p + 3] = e.at;
        params[p + 4] = e.callId ?? null;
        params[p + 5] = e.parentCallId === undefined ? null : (e.parentCallId ?? "");
        params[p + 6] = e.functionName ?? null;
        params[p + 7] = e.attempt ?? null;
        params[p + 8] = e.data === undefined ? null : JSON.stringify(e.data);
        out[from + i] = { ...e, seq };
      }
      // Spread, not the array: see patch-update.ts (binding from an array costs a V8 lookup per value).
      insertOf(n).run(...params);
    }
    return out;
  }

  return {
    insert,
    append(requestId, events) {
      if (events.length === 0) return [];
      const row = lastSeq.get(requestId);
      if (!row) throw new UnknownRequestError(requestId);
      setLastSeq.run(row.event_seq + events.length, requestId);
      return insert(requestId, row.event_seq + 1, events);
    },
    list(requestId, afterSeq, limit) {
      return select.all(requestId, afterSeq, limit).map(toEvent);
    },
    last(requestId, kind) {
      const r = selectLast.get(requestId, kind);
      return r ? toEvent(r) : null;
    },
  };
}
