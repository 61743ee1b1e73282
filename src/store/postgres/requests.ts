/**
 * Requests: creation (with the root call and first events, idempotently), reads, keyset
 * pagination, finishing (CAS) and deletion (cascading to every child row).
 */
import type { RequestEvent } from "../../core/request.js";
import { encodeCursor, pageStart } from "../cursor.js";
import { newRequestRow, payloadParams, toRequest, type SqlRequest } from "../shared/rows.js";
import type { NewCall, NewEvent, NewRequest, RequestRow, Store } from "../types.js";
import type { Sql } from "./connect.js";
import type { Begin } from "./group-commit.js";
import { appendEvents, eventsInsert } from "./events.js";
import { callInsert, patchRequest } from "./writes.js";
import { q, run } from "./statement.js";

type RequestMethods = Pick<
  Store,
  "createRequest" | "getRequest" | "listRequests" | "listUnfinishedRequests" | "finishRequest" | "deleteRequest"
>;

/** The columns a `RequestRow` is read from (also `RETURNING`ed by claims). */
export const REQUEST_COLUMNS = [
  "id",
  "namespace",
  "application",
  "version",
  "status",
  "failure_reason",
  "request_error",
  "error",
  "input_type",
  "input_size",
  "input_inline",
  "input_blob",
  "output_type",
  "output_size",
  "output_inline",
  "output_blob",
  "idempotency_key",
  "input_hash",
  "headers",
  "root_call_id",
  "created_at",
  "finished_at",
];

type Created = { request: RequestRow; created: boolean; events: RequestEvent[] };

export function requestMethods(sql: Sql, begin: Begin): RequestMethods {
  const cols = sql(REQUEST_COLUMNS);

  async function create(r: NewRequest, root: NewCall, evs: NewEvent[]): Promise<Created> {
    const created = await begin.one(async (tx) => {
      const input = payloadParams(r.input);
      // One statement (one round trip): the request, then its root call and first events from the
      // request's RETURNING, so they are inserted only if the request was. ON CONFLICT on the
      // partial unique index: a concurrent create with the same key waits for the first to commit,
      // then inserts nothing. A clash on the request's or the root call's id fails the statement.
      const [inserted] = await run<{ created: boolean }>(
        tx,
        q`
        WITH req AS (
          INSERT INTO requests (id, namespace, application, version, status, input_type, input_size, input_inline,
            input_blob, idempotency_key, input_hash, headers, root_call_id, created_at, event_seq, owner, needs)
          VALUES (${r.id}, ${r.namespace}, ${r.application}, ${r.version}, 'pending', ${input.type}, ${input.size},
            ${input.inline}, ${input.blob}, ${r.idempotencyKey}, ${r.inputHash}, ${r.headers?.length ? JSON.stringify(r.headers) : null}, ${r.rootCallId}, ${r.createdAt}, ${evs.length}, ${r.owner ?? null}, ${r.needs ?? null})
          ON CONFLICT (namespace, application, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
          RETURNING id
        ), root AS (${callInsert(root)} FROM req),
        events AS (${eventsInsert(r.id, evs, q`1`, q`req`)})
        SELECT EXISTS (SELECT 1 FROM req) AS created`,
      );
      return inserted!.created;
    });
    if (!created) {
      // The winner of the key committed before our insert gave way: a new snapshot sees it.
      const [existing] = await sql<SqlRequest[]>`
        SELECT ${cols} FROM requests
        WHERE namespace = ${r.namespace} AND application = ${r.application} AND idempotency_key = ${r.idempotencyKey}`;
      if (!existing)
        throw new Error(`createRequest ${JSON.stringify(r.id)}: idempotency conflict but no existing request`);
      return { request: toRequest(existing), created: false, events: [] };
    }
    const events = evs.map((e, i) => ({ ...e, seq: 1 + i }));
    return { request: newRequestRow(r), created: true, events };
  }

  return {
    createRequest: create,
    async getRequest(id) {
      const [row] = await sql<SqlRequest[]>`SELECT ${cols} FROM requests WHERE id = ${id}`;
      return row ? toRequest(row) : null;
    },
    async listRequests(q) {
      const limit = Math.max(1, Math.floor(q.limit));
      const at = pageStart(q.cursor, q.createdBefore);
      const status = q.status === undefined ? sql`` : sql`AND status = ${q.status}`;
      const after = q.createdAfter === undefined ? sql`` : sql`AND created_at >= ${q.createdAfter}`;
      // left() on the id column: exact and case-sensitive, unlike LIKE with its wildcards.
      const prefix = q.idPrefix === undefined ? sql`` : sql`AND left(id, ${q.idPrefix.length}) = ${q.idPrefix}`;
      // Row-value comparison walks the (ns, app[, status], created_at DESC, id DESC) index from the
      // cursor; one row more than asked tells whether another page exists without a COUNT. `id` is
      // COLLATE "C" (byte order), so ties break exactly as in SQLite.
      const rows = await sql<SqlRequest[]>`
        SELECT ${cols} FROM requests
        WHERE namespace = ${q.namespace} AND application = ${q.application} ${status} ${after} ${prefix}
          AND (created_at, id) < (${at.createdAt}, ${at.id})
        ORDER BY created_at DESC, id DESC LIMIT ${limit + 1}`;
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        rows: page.map(toRequest),
        nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.created_at, id: last.id }) : null,
      };
    },
    async listUnfinishedRequests() {
      const rows = await sql<SqlRequest[]>`
        SELECT ${cols} FROM requests WHERE status IN ('pending', 'running') ORDER BY created_at, id`;
      return rows.map(toRequest);
    },
    async finishRequest(id, patch, evs) {
      return begin(async (tx) => ((await patchRequest(tx, id, patch)) ? appendEvents(tx, id, evs) : null));
    },
    async deleteRequest(id) {
      // State, metrics and logs go with it (ON DELETE CASCADE); its calls, attempts and events,
      // which have no foreign key since migration 011, go through the trigger of migration 013.
      const rows = await sql`DELETE FROM requests WHERE id = ${id} AND status IN ('succeeded', 'failed', 'cancelled')`;
      return rows.count > 0;
    },
  };
}
