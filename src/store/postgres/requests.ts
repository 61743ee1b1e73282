/**
 * Requests: creation (with the root call and first events, idempotently), reads, keyset
 * pagination, finishing (CAS) and deletion (cascading to every child row).
 */
import type { RequestEvent } from "../../core/request.js";
import { STATUSES, type Status } from "../../core/status.js";
import { encodeCursor, pageStart } from "../cursor.js";
import { newRequestRow, payloadParams, toRequest, type SqlRequest } from "../shared/rows.js";
import type { AttemptStart, NewCall, NewEvent, NewRequest, RequestRow, Store } from "../types.js";
import type { Sql, Tx } from "./connect.js";
import type { Begin } from "./group-commit.js";
import { appendEvents, eventsInsert } from "./events.js";
import type { AttachedStart, Fusion } from "./fusion.js";
import { callInsert, patchRequest } from "./writes.js";
import { q, run, type Piece } from "./statement.js";

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

/**
 * A create with an idempotency key gives way to the request that holds it. Without a key nothing
 * can conflict on that (partial) index, so the clause is left out: with it, PostgreSQL inserts
 * speculatively (a lock on a speculative token, an extra WAL record to confirm the row) whatever
 * the key. A clash on the request's id fails the statement either way.
 */
const ON_KEY_CONFLICT = q`ON CONFLICT (namespace, application, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING`;
const NO_CONFLICT = q``;

/** A failed create's attached start: apart when the fused statement failed, else with the create's error. */
function settle(start: AttachedStart | null, apart: boolean, error: unknown): void {
  if (start === null) return;
  if (apart) start.resolve(start.apart());
  else start.reject(error);
}

export function requestMethods(sql: Sql, begin: Begin, fusion: Fusion): RequestMethods {
  const cols = sql(REQUEST_COLUMNS);

  /**
   * The create's one statement (one round trip): the request, then its root call and first events
   * from the request's RETURNING, so they are inserted only if the request was. ON CONFLICT on the
   * partial unique index: a concurrent create with the same key waits for the first to commit, then
   * inserts nothing. A clash on the request's or the root call's id fails the statement. With
   * `start` (fusion.ts), the request and the root call are inserted as the start leaves them
   * (running, the counter past its events), with the attempt, and its events follow the create's.
   */
  function createStatement(r: NewRequest, root: NewCall, evs: NewEvent[], start: AttemptStart | null): Piece {
    const input = payloadParams(r.input);
    const all = start ? [...evs, ...start.events] : evs;
    const a = start?.attempt;
    const attempt = a
      ? q`, attempt AS (
          INSERT INTO attempts (id, call_id, request_id, number, executor_id, container_id, status, started_at)
          SELECT ${a.id}, ${a.callId}, ${a.requestId}, ${a.number}, ${a.executorId}, ${a.containerId}, 'running',
            ${a.startedAt} FROM req
        )`
      : q``;
    return q`
      WITH req AS (
        INSERT INTO requests (id, namespace, application, version, status, input_type, input_size, input_inline,
          input_blob, idempotency_key, input_hash, headers, root_call_id, created_at, event_seq, owner, needs)
        VALUES (${r.id}, ${r.namespace}, ${r.application}, ${r.version}, ${start ? q`'running'` : q`'pending'`}, ${input.type}, ${input.size},
          ${input.inline}, ${input.blob}, ${r.idempotencyKey}, ${r.inputHash}, ${r.headers?.length ? JSON.stringify(r.headers) : null}, ${r.rootCallId}, ${r.createdAt}, ${all.length}, ${r.owner ?? null}, ${r.needs ?? null})
        ${r.idempotencyKey === null ? NO_CONFLICT : ON_KEY_CONFLICT}
        RETURNING id
      ), root AS (${callInsert(root, start?.call)} FROM req)${attempt},
      events AS (${eventsInsert(r.id, all, q`1`, q`req`)})
      SELECT EXISTS (SELECT 1 FROM req) AS created`;
  }

  async function create(r: NewRequest, root: NewCall, evs: NewEvent[]): Promise<Created> {
    const open = fusion.open(r);
    // The start attached to this create (taken as its statement is sent), and whether the fused
    // statement failed by itself: from then on the create runs alone and the start apart, after it.
    let start: AttachedStart | null = null;
    let apart = false;
    let fusedFailed = false;
    const job = async (tx: Tx): Promise<boolean> => {
      if (open && start === null) start = fusion.take(open);
      const fused = start !== null && !apart;
      fusedFailed = false;
      try {
        const [row] = await run<{ created: boolean }>(tx, createStatement(r, root, evs, fused ? start : null));
        return row!.created;
      } catch (e) {
        // 25P02: an earlier statement of the batch failed, not this one (the batch runs again).
        if (fused && (e as { code?: string }).code !== "25P02") apart = fusedFailed = true;
        throw e;
      }
    };
    let created: boolean;
    try {
      created = await begin.one(job).catch((e: unknown) => {
        // The fused statement failed alone in its batch (so it is not run again there): the create
        // alone, in a job of its own, issued now.
        if (fusedFailed) return begin.one(job);
        throw e;
      });
    } catch (e) {
      // Its start fails with it (a failed COMMIT, no connection: as it would in their batch), or
      // runs apart after it when the fused statement itself failed.
      if (open && start === null) start = fusion.take(open);
      settle(start, apart, e);
      throw e;
    }
    // Assigned by the job above (which TypeScript's narrowing does not follow).
    const fusedStart = start as AttachedStart | null;
    if (fusedStart !== null) {
      if (apart || !created) fusedStart.resolve(fusedStart.apart());
      else fusedStart.resolve(fusedStart.events.map((e, i) => ({ ...e, seq: evs.length + 1 + i })));
    }
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
      const after = q.createdAfter === undefined ? sql`` : sql`AND created_at >= ${q.createdAfter}`;
      // left() on the id column: exact and case-sensitive, unlike LIKE with its wildcards.
      const prefix = q.idPrefix === undefined ? sql`` : sql`AND left(id, ${q.idPrefix.length}) = ${q.idPrefix}`;
      // One range of the (ns, app, status, created_at DESC, id DESC) index per status asked (all
      // five without a filter: there is no index on (ns, app, created_at) since migration 014), each
      // walked from the cursor by the row-value comparison, at most limit + 1 rows (one more than
      // asked tells whether another page exists without a COUNT); their union is sorted, at most
      // 5 × (limit + 1) rows whatever the size of the history. A Merge Append of five UNION ALL
      // branches reads fewer rows but took longer to plan than this reads. `id` is COLLATE "C"
      // (byte order), so ties break exactly as in SQLite.
      const statuses: readonly Status[] = q.status === undefined ? STATUSES : [q.status];
      const rows = await sql<SqlRequest[]>`
        SELECT r.* FROM unnest(${statuses as Status[]}::text[]) AS s(status) CROSS JOIN LATERAL (
          SELECT ${cols} FROM requests
          WHERE namespace = ${q.namespace} AND application = ${q.application} AND status = s.status ${after} ${prefix}
            AND (created_at, id) < (${at.createdAt}, ${at.id})
          ORDER BY created_at DESC, id DESC LIMIT ${limit + 1}
        ) r
        ORDER BY r.created_at DESC, r.id DESC LIMIT ${limit + 1}`;
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
      fusion.seal(id);
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
