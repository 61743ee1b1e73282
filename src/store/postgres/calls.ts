/**
 * Function calls: reads, creation, the scheduler's pending queue and CAS transitions.
 */
import { toCall, type SqlCall } from "../shared/rows.js";
import type { Store } from "../types.js";
import type { Sql } from "./connect.js";
import type { Begin } from "./group-commit.js";
import { appendEvents } from "./events.js";
import { insertCall, patchCall } from "./writes.js";

type CallMethods = Pick<
  Store,
  "getCall" | "listCalls" | "findChildCall" | "createCall" | "listPendingCalls" | "transitionCall"
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

export function callMethods(sql: Sql, begin: Begin): CallMethods {
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
      return begin(async (tx) => ((await insertCall(tx, call)) ? appendEvents(tx, call.requestId, evs) : null));
    },
    async listPendingCalls() {
      // Walks the partial index of pending calls (oldest first, ties in insertion order) and drops
      // those whose request already finished.
      const rows = await sql<SqlCall[]>`
        SELECT ${prefixed} FROM function_calls c JOIN requests r ON r.id = c.request_id
        WHERE c.status = 'pending' AND r.status IN ('pending', 'running')
        ORDER BY c.created_at, c.ord`;
      return rows.map(toCall);
    },
    async transitionCall(id, from, patch, evs) {
      return begin(async (tx) => {
        const requestId = await patchCall(tx, id, from, patch);
        return requestId === null ? null : appendEvents(tx, requestId, evs);
      });
    },
  };
}
