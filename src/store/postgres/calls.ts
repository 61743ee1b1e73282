/**
 * Function calls: reads, creation, the scheduler's pending queue and CAS transitions.
 */
import { toCall, type SqlCall } from "../shared/rows.js";
import type { Store } from "../types.js";
import type { Sql } from "./connect.js";
import type { Begin } from "./group-commit.js";
import { appendEvents, eventsInsert, ownerFence, refused, refusedUnless } from "./events.js";
import type { Fusion } from "./fusion.js";
import { callInsert, callsInsert, patchCall } from "./writes.js";
import { q, run } from "./statement.js";

type CallMethods = Pick<
  Store,
  "getCall" | "listCalls" | "findChildCall" | "createCall" | "createCalls" | "listPendingCalls" | "transitionCall"
>;

const COLUMNS = [
  "id",
  "request_id",
  "parent_call_id",
  "seq",
  "item",
  "function_name",
  "args_type",
  "args_size",
  "args_inline",
  "args_blob",
  "status",
  "attempts_used",
  "infra_retries",
  "not_before",
  "result_type",
  "result_size",
  "result_inline",
  "result_blob",
  "error",
  "failure_reason",
  "pending_reason",
  "created_at",
  "finished_at",
];

/** `fusion`: every write of a request seals its open create (fusion.ts). */
export function callMethods(sql: Sql, begin: Begin, fusion: Fusion): CallMethods {
  const cols = sql(COLUMNS);
  const prefixed = sql.unsafe(COLUMNS.map((c) => `c.${c}`).join(", "));

  return {
    async getCall(id) {
      const [row] = await sql<SqlCall[]>`SELECT ${cols} FROM function_calls WHERE id = ${id}`;
      return row ? toCall(row) : null;
    },
    async listCalls(requestId) {
      // `ord` = insertion order: parents before the children they created.
      const rows = await sql<
        SqlCall[]
      >`SELECT ${cols} FROM function_calls WHERE request_id = ${requestId} ORDER BY ord`;
      return rows.map(toCall);
    },
    async findChildCall(parentCallId, seq, item) {
      const [row] = await sql<SqlCall[]>`
        SELECT ${cols} FROM function_calls WHERE parent_call_id = ${parentCallId} AND seq = ${seq} AND item = ${item}`;
      return row ? toCall(row) : null;
    },
    async createCall(call, evs) {
      fusion.seal(call.requestId);
      return begin.one(async (tx) => {
        // One statement: the call, then its events numbered from the request's counter (locked
        // last), so a start of the call issued after it in the same batch (`Store.appliedAtCall`)
        // claims it and numbers its events after these. ON CONFLICT (id) only: a different id at a
        // taken (parent, seq, item) is an engine bug and fails loudly (see `insertCall`).
        const n = evs.length;
        const [row] = await run<{ created: boolean; event_seq: number | null }>(
          tx,
          q`
          WITH created AS (${callInsert(call)} ON CONFLICT (id) DO NOTHING RETURNING 1), counter AS (
            UPDATE requests SET event_seq = event_seq + ${n}
            WHERE id = ${call.requestId} AND EXISTS (SELECT 1 FROM created) AND ${ownerFence} RETURNING event_seq
          ), events AS (${eventsInsert(call.requestId, evs, q`counter.event_seq - ${n} + 1`, q`counter`)})
          SELECT EXISTS (SELECT 1 FROM created) AS created, (SELECT event_seq FROM counter) AS event_seq,
            ${refusedUnless(q`EXISTS (SELECT 1 FROM created)`, q`counter`, call.requestId)} AS refused`,
        );
        if (!row!.created) return null;
        return evs.map((e, i) => ({ ...e, seq: row!.event_seq! - n + 1 + i }));
      });
    },
    async createCalls(requestId, calls, evs) {
      fusion.seal(requestId);
      // One statement, as `createCall`: a start of one of the calls issued after it in the same
      // batch numbers its events after these. A call that exists already leaves the counter and the
      // events alone and rolls the whole transaction back (the group commit then runs this job
      // alone, where it fails again): all the calls are inserted, or none.
      const exists = new Error("a call exists");
      const n = evs.length;
      try {
        return await begin(async (tx) => {
          const [row] = await run<{ created: number; event_seq: number | null }>(
            tx,
            q`
            WITH created AS (${callsInsert(calls)} ON CONFLICT (id) DO NOTHING RETURNING 1), counter AS (
              UPDATE requests SET event_seq = event_seq + ${n}
              WHERE id = ${requestId} AND (SELECT count(*) FROM created) = ${calls.length} AND ${ownerFence}
              RETURNING event_seq
            ), events AS (${eventsInsert(requestId, evs, q`counter.event_seq - ${n} + 1`, q`counter`)})
            SELECT (SELECT count(*) FROM created)::int AS created, (SELECT event_seq FROM counter) AS event_seq`,
          );
          if (row!.created !== calls.length) throw exists;
          if (row!.event_seq === null) throw await refused(tx, requestId);
          return evs.map((e, i) => ({ ...e, seq: row!.event_seq! - n + 1 + i }));
        });
      } catch (e) {
        if (e === exists) return null;
        throw e;
      }
    },
    async listPendingCalls() {
      // Oldest first, ties in insertion order. No server path reads this (tools and tests do), so
      // no index serves it (migration 011): it walks the unfinished requests and their calls.
      const rows = await sql<SqlCall[]>`
        SELECT ${prefixed} FROM function_calls c JOIN requests r ON r.id = c.request_id
        WHERE c.status = 'pending' AND r.status IN ('pending', 'running')
        ORDER BY c.created_at, c.ord`;
      return rows.map(toCall);
    },
    async transitionCall(id, from, patch, evs) {
      fusion.sealCall(id);
      return begin(async (tx) => {
        const requestId = await patchCall(tx, id, from, patch);
        return requestId === null ? null : appendEvents(tx, requestId, evs);
      });
    },
  };
}
