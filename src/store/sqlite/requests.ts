/**
 * Requests: creation (with the root call and first events, idempotently), reads, keyset
 * pagination, finishing (CAS) and deletion (cascading to every child row).
 */
import type Database from "better-sqlite3";
import type { RequestEvent } from "../../core/request.js";
import { encodeCursor, pageStart } from "../cursor.js";
import type { ListRequestsQuery, NewCall, NewEvent, NewRequest, RequestRow, Store } from "../types.js";
import type { EventLog } from "./events.js";
import { newRequestRow, payloadParams, toRequest, type SqlRequest } from "../shared/rows.js";
import type { Writes } from "./writes.js";
import { writeTransaction } from "./transaction.js";

type RequestMethods = Pick<
  Store,
  "createRequest" | "getRequest" | "listRequests" | "listUnfinishedRequests" | "finishRequest" | "deleteRequest"
>;

/** The columns a `RequestRow` is read from (also by claims, servers.ts). */
export const REQUEST_COLUMNS = `id, namespace, application, version, status, failure_reason, request_error, error,
  input_type, input_size, input_inline, input_blob, output_type, output_size, output_inline, output_blob,
  idempotency_key, input_hash, headers, root_call_id, created_at, finished_at`;

export function requestMethods(db: Database.Database, events: EventLog, writes: Writes): RequestMethods {
  const byId = db.prepare<[string], SqlRequest>(`SELECT ${REQUEST_COLUMNS} FROM requests WHERE id = ?`);
  const byKey = db.prepare<[string, string, string], SqlRequest>(
    `SELECT ${REQUEST_COLUMNS} FROM requests WHERE namespace = ? AND application = ? AND idempotency_key = ?`,
  );
  const insert = db.prepare<unknown[]>(
    `INSERT INTO requests (id, namespace, application, version, status, input_type, input_size, input_inline,
       input_blob, idempotency_key, input_hash, headers, root_call_id, created_at, event_seq, owner, needs)
     VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  // (created_at, id) < (cursor) with a row value: SQLite walks the (ns, app, created_at DESC, id
  // DESC) index from the cursor, so a page costs O(limit) whatever its depth. A status filter walks
  // `requests_finished_by_app` (ns, app, status, …) for a finished status, the same way, and
  // `requests_unfinished` (every request in flight, newest first) for pending or running
  // (migration 012). Each names its index, and repeats the index's WHERE word for word, which is
  // what lets SQLite use a partial index. The optional filters add conditions; one prepared
  // statement per combination of them, made on first use.
  const pages = new Map<string, Database.Statement<unknown[], SqlRequest>>();
  function pageQuery(q: ListRequestsQuery): { stmt: Database.Statement<unknown[], SqlRequest>; args: unknown[] } {
    const where = ["namespace = ?", "application = ?"];
    const args: unknown[] = [q.namespace, q.application];
    const add = (condition: string, ...values: unknown[]): void => {
      where.push(condition);
      args.push(...values);
    };
    let index = "";
    if (q.status !== undefined) {
      add("status = ?", q.status);
      if (q.status === "pending" || q.status === "running") {
        index = "INDEXED BY requests_unfinished";
        add("status IN ('pending','running')");
      } else {
        index = "INDEXED BY requests_finished_by_app";
        add("status NOT IN ('pending','running')");
      }
    }
    if (q.createdAfter !== undefined) add("created_at >= ?", q.createdAfter);
    // substr(), not LIKE: exact and case-sensitive, with no wildcard to escape.
    if (q.idPrefix !== undefined) add("substr(id, 1, ?) = ?", q.idPrefix.length, q.idPrefix);
    const key = where.join(" AND ");
    let stmt = pages.get(key);
    if (!stmt) {
      stmt = db.prepare<unknown[], SqlRequest>(
        `SELECT ${REQUEST_COLUMNS} FROM requests ${index} WHERE ${key} AND (created_at, id) < (?, ?)
         ORDER BY created_at DESC, id DESC LIMIT ?`,
      );
      pages.set(key, stmt);
    }
    return { stmt, args };
  }
  const unfinished = db.prepare<[], SqlRequest>(
    `SELECT ${REQUEST_COLUMNS} FROM requests WHERE status IN ('pending', 'running') ORDER BY created_at`,
  );
  const remove = db.prepare<[string]>(
    "DELETE FROM requests WHERE id = ? AND status IN ('succeeded', 'failed', 'cancelled')",
  );

  const create = writeTransaction(
    db,
    (
      r: NewRequest,
      root: NewCall,
      evs: NewEvent[],
    ): { request: RequestRow; created: boolean; events: RequestEvent[] } => {
      if (r.idempotencyKey !== null) {
        const existing = byKey.get(r.namespace, r.application, r.idempotencyKey);
        if (existing) return { request: toRequest(existing), created: false, events: [] };
      }
      const input = payloadParams(r.input);
      // Parameters by position: binding named ones from an object costs a lookup per parameter.
      insert.run(
        r.id,
        r.namespace,
        r.application,
        r.version,
        input.type,
        input.size,
        input.inline,
        input.blob,
        r.idempotencyKey,
        r.inputHash,
        r.headers?.length ? JSON.stringify(r.headers) : null,
        r.rootCallId,
        r.createdAt,
        evs.length,
        r.owner ?? null,
        r.needs ?? null,
      );
      if (!writes.insertCall(root)) throw new Error(`root call ${JSON.stringify(root.id)} already exists`);
      return { request: newRequestRow(r), created: true, events: events.insert(r.id, 1, evs) };
    },
  );

  const finish = writeTransaction(db, (id: string, patch: Parameters<Writes["patchRequest"]>[1], evs: NewEvent[]) =>
    writes.patchRequest(id, patch) ? events.append(id, evs) : null,
  );

  return {
    async createRequest(request, rootCall, evs) {
      return create(request, rootCall, evs);
    },
    async getRequest(id) {
      const row = byId.get(id);
      return row ? toRequest(row) : null;
    },
    async listRequests(q) {
      const limit = Math.max(1, Math.floor(q.limit));
      const at = pageStart(q.cursor, q.createdBefore);
      const { stmt, args } = pageQuery(q);
      // One row more than asked tells whether another page exists without a COUNT.
      const rows = stmt.all(...args, at.createdAt, at.id, limit + 1);
      const more = rows.length > limit;
      if (more) rows.length = limit;
      const last = rows[rows.length - 1];
      return {
        rows: rows.map(toRequest),
        nextCursor: more && last ? encodeCursor({ createdAt: last.created_at, id: last.id }) : null,
      };
    },
    async listUnfinishedRequests() {
      return unfinished.all().map(toRequest);
    },
    async finishRequest(id, patch, evs) {
      return finish(id, patch, evs);
    },
    async deleteRequest(id) {
      // Calls, attempts, events, state, metrics and logs go with it (ON DELETE CASCADE).
      return remove.run(id).changes > 0;
    },
  };
}
