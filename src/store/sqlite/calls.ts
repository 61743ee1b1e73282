/**
 * Function calls: reads, creation, the scheduler's pending queue and CAS transitions.
 */
import type Database from "better-sqlite3";
import type { Store } from "../types.js";
import type { EventLog } from "./events.js";
import { toCall, type SqlCall } from "../shared/rows.js";
import type { Writes } from "./writes.js";
import { writeTransaction } from "./transaction.js";

type CallMethods = Pick<
  Store,
  "getCall" | "listCalls" | "findChildCall" | "createCall" | "createCalls" | "listPendingCalls" | "transitionCall"
>;

const CALL_COLUMNS = `c.id, c.request_id, c.parent_call_id, c.seq, c.item, c.function_name,
  c.args_type, c.args_size, c.args_inline, c.args_blob, c.status, c.attempts_used, c.infra_retries, c.not_before,
  c.result_type, c.result_size, c.result_inline, c.result_blob, c.error, c.failure_reason, c.pending_reason,
  c.created_at, c.finished_at`;

export function callMethods(db: Database.Database, events: EventLog, writes: Writes): CallMethods {
  const byId = db.prepare<[string], SqlCall>(`SELECT ${CALL_COLUMNS} FROM function_calls c WHERE c.id = ?`);
  // rowid order = insertion order: parents before the children they created.
  const byRequest = db.prepare<[string], SqlCall>(
    `SELECT ${CALL_COLUMNS} FROM function_calls c WHERE c.request_id = ? ORDER BY c.rowid`,
  );
  const child = db.prepare<[string, number, number], SqlCall>(
    `SELECT ${CALL_COLUMNS} FROM function_calls c WHERE c.parent_call_id = ? AND c.seq = ? AND c.item = ?`,
  );
  // Oldest first, ties in insertion order. No server path reads this (tools and tests do), so no
  // index of pending calls serves it (migration 011): CROSS JOIN makes SQLite walk the unfinished
  // requests (their partial index) and each one's calls, never every call.
  const pending = db.prepare<[], SqlCall>(
    `SELECT ${CALL_COLUMNS} FROM requests r CROSS JOIN function_calls c ON c.request_id = r.id
     WHERE r.status IN ('pending', 'running') AND c.status = 'pending'
     ORDER BY c.created_at, c.rowid`,
  );

  const create = writeTransaction(
    db,
    (call: Parameters<Writes["insertCall"]>[0], evs: Parameters<EventLog["append"]>[1]) =>
      writes.insertCall(call) ? events.append(call.requestId, evs) : null,
  );
  /** Thrown inside `createMany` to roll it back whole when one of its calls exists already. */
  const exists = new Error("a call exists");
  const createMany = writeTransaction(
    db,
    (requestId: string, calls: Parameters<Writes["insertCall"]>[0][], evs: Parameters<EventLog["append"]>[1]) => {
      for (const c of calls) if (!writes.insertCall(c)) throw exists;
      return events.append(requestId, evs);
    },
  );
  const requestOf = db.prepare<[string], { request_id: string }>("SELECT request_id FROM function_calls WHERE id = ?");
  const transition = writeTransaction(
    db,
    (id: string, from: string, patch: Parameters<Writes["patchCall"]>[2], evs: Parameters<EventLog["append"]>[1]) => {
      const call = requestOf.get(id);
      return call && writes.patchCall(id, from, patch) ? events.append(call.request_id, evs) : null;
    },
  );

  return {
    async getCall(id) {
      const row = byId.get(id);
      return row ? toCall(row) : null;
    },
    async listCalls(requestId) {
      return byRequest.all(requestId).map(toCall);
    },
    async findChildCall(parentCallId, seq, item) {
      const row = child.get(parentCallId, seq, item);
      return row ? toCall(row) : null;
    },
    async createCall(call, evs) {
      return create(call, evs);
    },
    async createCalls(requestId, calls, evs) {
      try {
        return createMany(requestId, calls, evs);
      } catch (e) {
        if (e === exists) return null;
        throw e;
      }
    },
    async listPendingCalls() {
      return pending.all().map(toCall);
    },
    async transitionCall(id, from, patch, evs) {
      return transition(id, from, patch, evs);
    },
  };
}
