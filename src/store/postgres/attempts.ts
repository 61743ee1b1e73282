/**
 * Attempts: starting one (CAS on a pending call) and finishing one (CAS on a running attempt),
 * each with the call/request changes and events it implies, in one transaction.
 *
 * Lock order is always attempt → call → request (the request row last, via its event counter), the
 * same in every method, so concurrent transitions wait for each other instead of deadlocking.
 *
 * A compare-and-set by id names the status it expects as a parameter (`status = ${"pending"}`), not
 * a literal: a prepared statement's generic plan, made while the tables were small, could otherwise
 * match the literal to a partial index's predicate (`requests_unfinished_owner`; before migration
 * 011 also `calls_pending`, `attempts_running`) and scan that whole index on every call instead of the primary key.
 * Measured on a fresh schema: 820 index tuples read per attempt's finish, and every start scanning
 * all pending calls. For the same reason a row is found by `id = (SELECT … FROM cte)` (a primary
 * key lookup whatever the plan), not by a join with the CTE (a generic plan made on a small table
 * kept a sequential scan of function_calls and a bitmap scan of requests by status).
 */
import { ATTEMPT_USAGE_COLUMNS, json, toAttempt, usageColumns, type SqlAttempt } from "../shared/rows.js";
import type { RequestEvent } from "../../core/request.js";
import type { ContainerLimit, NewAttempt, NewEvent, Store } from "../types.js";
import type { Sql, Tx } from "./connect.js";
import type { Begin } from "./group-commit.js";
import { eventsInsert, keptCount, ownerFence, refusedUnless } from "./events.js";
import type { Fusion } from "./fusion.js";
import { callSet, requestSet } from "./writes.js";
import { Piece, q, raw, run, setList, type Param } from "./statement.js";

type AttemptMethods = Pick<
  Store,
  "startAttempt" | "startAttempts" | "finishAttempt" | "getAttempt" | "listAttempts" | "listRunningAttempts"
>;

const COLUMNS = [
  "id",
  "call_id",
  "request_id",
  "number",
  "executor_id",
  "container_id",
  "status",
  "failure_reason",
  "error",
  "started_at",
  "finished_at",
  ...ATTEMPT_USAGE_COLUMNS,
];

/** The key of a limit: its advisory lock and its rows in `limited_attempts` (migration 012). */
function limitKey(limit: ContainerLimit): string {
  return `tributary.max:${limit.namespace}/${limit.application}@${limit.version}/${limit.functions.join(",")}`;
}

/**
 * Running attempts under `limit`, counted under a transaction-scoped advisory lock on its key: a
 * concurrent start of the same key (on any server) waits for this transaction, then counts ours.
 * `limited_attempts` holds the running attempts started under a limit (inserted by their start,
 * deleted by their finish), so this reads a few rows (and their attempts by primary key), never
 * the attempt history.
 */
async function runningOf(tx: Tx, key: string): Promise<number> {
  await tx`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))`;
  // Joined to the attempt's own status: a row whose attempt a server of a release before 012 finished
  // (during a rolling upgrade) is never deleted, and must not hold a slot forever.
  const [row] = await tx<{ n: number }[]>`
    SELECT count(*)::int AS n FROM limited_attempts l JOIN attempts a ON a.id = l.attempt_id AND a.status = 'running'
    WHERE l.limit_key = ${key}`;
  return row?.n ?? 0;
}

/**
 * The request is unfinished: a request patch applies (evaluated on the row before the UPDATE). Literal
 * statuses are safe here, in a SET list: no plan picks an index by them (see the header).
 */
const UNFINISHED = q`requests.status IN ('pending', 'running')`;

/**
 * `col = CASE WHEN <unfinished> THEN $n ELSE col END, …`: the columns set only where the request is
 * unfinished, left as they are otherwise (column names are code's, never input).
 */
function unfinishedSetList(columns: Record<string, Param>): Piece {
  const parts = Object.keys(columns).map(
    (k) => q`${raw(k)} = CASE WHEN ${UNFINISHED} THEN ${columns[k]!} ELSE ${raw(k)} END`,
  );
  return new Piece(["", ...parts.slice(1).map(() => ", "), ""], parts);
}

/** How many unlimited starts {@link attemptMethods} remembers until their finish; then it forgets them all. */
const REMEMBERED_STARTS = 100_000;

export function attemptMethods(sql: Sql, begin: Begin, fusion: Fusion): AttemptMethods {
  const cols = sql(COLUMNS);
  /**
   * The attempts this store started without a limit (the start claimed its call), until their
   * finish: their finish skips the `limited_attempts` DELETE, an index probe and a ModifyTable set
   * up for nothing (a few % of the database's CPU per trivial request). Invariant: an id here has
   * no `limited_attempts` row, because only a limited start of that id inserts one, in the same
   * statement as the attempt's row, and the attempt's id is its primary key: once our unlimited
   * start inserted it, no such start can succeed. Every other finish (an attempt started limited,
   * by another server before a takeover, by this server before a restart, or forgotten below)
   * deletes as before. Attempts this server started but never finishes (its requests taken over)
   * would stay here: past REMEMBERED_STARTS the set is emptied, which only costs those DELETEs.
   */
  const startedUnlimited = new Set<string>();
  const remember = (id: string, events: RequestEvent[] | null | "full"): void => {
    if (!Array.isArray(events)) return;
    if (startedUnlimited.size >= REMEMBERED_STARTS) startedUnlimited.clear();
    startedUnlimited.add(id);
  };

  /** A start as it runs when nothing is fused with it. */
  function start(
    a: NewAttempt,
    call: { attemptsUsed: number; infraRetries: number },
    evs: NewEvent[],
    limit?: ContainerLimit,
  ): Promise<RequestEvent[] | null | "full"> {
    // One statement (one round trip). The main SELECT runs `claimed` (the call's lock) and then
    // `counter` (the request's); the INSERTs, new rows only, complete after it. Nothing but the
    // claim happens when the call is no longer pending.
    // A limited start (maxContainers) runs in a transaction of its own (`begin.alone`), still in
    // issue order: its count must see every start of the same key before it, which a shared
    // transaction could interleave, and its claim the call's creation issued before it.
    return (limit ? begin.alone : begin.one)(async (tx: Tx) => {
      const key = limit ? limitKey(limit) : null;
      if (key !== null && (await runningOf(tx, key)) >= limit!.max) return "full" as const;
      const n = evs.length;
      const limited =
        key === null
          ? q``
          : q`, limited AS (
              INSERT INTO limited_attempts (attempt_id, request_id, limit_key)
              SELECT ${a.id}, ${a.requestId}, ${key} FROM claimed
            )`;
      const [row] = await run<{ claimed: boolean; event_seq: number | null }>(
        tx,
        q`
          WITH claimed AS (
            UPDATE function_calls SET status = 'running', attempts_used = ${call.attemptsUsed},
              infra_retries = ${call.infraRetries}, pending_reason = NULL
            WHERE id = ${a.callId} AND status = ${"pending"} RETURNING id
          ), counter AS (
            UPDATE requests SET event_seq = event_seq + ${n},
              status = CASE WHEN status = 'pending' THEN 'running' ELSE status END
            WHERE id = ${a.requestId} AND EXISTS (SELECT 1 FROM claimed) AND ${ownerFence} RETURNING event_seq
          ), attempt AS (
            INSERT INTO attempts (id, call_id, request_id, number, executor_id, container_id, status, started_at)
            SELECT ${a.id}, ${a.callId}, ${a.requestId}, ${a.number}, ${a.executorId}, ${a.containerId}, 'running',
              ${a.startedAt} FROM claimed
          )${limited}, events AS (${eventsInsert(a.requestId, evs, q`counter.event_seq - ${n} + 1`, q`counter`)})
          SELECT EXISTS (SELECT 1 FROM claimed) AS claimed, (SELECT event_seq FROM counter) AS event_seq,
            ${refusedUnless(q`EXISTS (SELECT 1 FROM claimed)`, q`counter`, a.requestId)} AS refused`,
      );
      if (!row!.claimed) return null;
      return evs.map((e, i) => ({ ...e, seq: row!.event_seq! - n + 1 + i }));
    });
  }

  const methods: AttemptMethods = {
    async startAttempts(starts) {
      // Each start is one pipelined statement of the same group-commit batch (group-commit.ts): a
      // run costs one round trip, as one start does.
      return Promise.all(
        starts.map((s) => methods.startAttempt(s.attempt, s.call, s.events) as Promise<RequestEvent[] | null>),
      );
    },
    async startAttempt(a, call, evs, limit) {
      if (limit) {
        fusion.seal(a.requestId);
        startedUnlimited.delete(a.id);
        return start(a, call, evs, limit);
      }
      // The root call's first start, issued while its request's creation is not sent yet, goes
      // with it in one statement (fusion.ts); otherwise it runs apart, as below.
      const started =
        fusion.attach({ attempt: a, call, events: evs }, () => start(a, call, evs) as Promise<RequestEvent[] | null>) ??
        start(a, call, evs);
      const events = await started;
      remember(a.id, events);
      return events;
    },
    async finishAttempt(id, a, c, r, evs) {
      // Nothing to delete for an attempt this store started unlimited (`startedUnlimited` above).
      const unlimit = startedUnlimited.delete(id)
        ? q``
        : q`, unlimited AS (
            DELETE FROM limited_attempts WHERE attempt_id = ${id}
          )`;
      return begin.one(async (tx) => {
        const set: Record<string, Param> = { status: a.status, finished_at: a.finishedAt };
        if (a.failureReason !== undefined) set.failure_reason = a.failureReason;
        if (a.error !== undefined) set.error = json(a.error);
        if (a.containerId !== undefined) set.container_id = a.containerId;
        if (a.usage !== undefined) Object.assign(set, usageColumns(a.usage));
        // The three CAS and the events in one statement (one round trip), in lock order: `att` (the
        // attempt's lock), then `call` (read by the request's SET), then `req`, the request's one
        // UPDATE: it reserves the seqs of the events kept and, with a request patch, applies it
        // only while the request is unfinished, saying so in `finished` (migration 015). An event
        // announcing a change that did not happen is not inserted: the stream never shows what the
        // store does not hold (e.g. no second `request:finished` after a cancellation).
        const called = q`EXISTS (SELECT 1 FROM call)`;
        const req =
          r === null
            ? q`UPDATE requests SET event_seq = event_seq + ${keptCount(evs, { call: called, request: q`false` })}
              WHERE id = (SELECT request_id FROM att) AND ${ownerFence}
              RETURNING event_seq, false AS finished`
            : q`UPDATE requests SET ${unfinishedSetList({ ...requestSet(r), finished_by: id })},
                event_seq = event_seq + CASE WHEN ${UNFINISHED}
                  THEN ${keptCount(evs, { call: called, request: q`true` })}
                  ELSE ${keptCount(evs, { call: called, request: q`false` })} END
              WHERE id = (SELECT request_id FROM att) AND ${ownerFence}
              RETURNING event_seq, coalesce(finished_by = ${id}, false) AS finished`;
        const keep = { call: called, request: q`req.finished` };
        const [row] = await run<{
          request_id: string;
          call_changed: boolean;
          request_changed: boolean | null;
          event_seq: number;
        }>(
          tx,
          q`
          WITH att AS (
            UPDATE attempts SET ${setList(set)} WHERE id = ${id} AND status = ${"running"} RETURNING call_id, request_id
          )${unlimit}, call AS (
            UPDATE function_calls SET ${setList(callSet(c))}
            WHERE id = (SELECT call_id FROM att) AND status = 'running' RETURNING 1
          ), req AS (${req}), events AS (${eventsInsert(q`att.request_id`, evs, q`req.event_seq - ${keptCount(evs, keep)} + 1`, q`req, att`, keep)})
          SELECT att.request_id, ${called} AS call_changed, (SELECT finished FROM req) AS request_changed,
            (SELECT event_seq FROM req) AS event_seq, ${refusedUnless(q`true`, q`req`, q`att.request_id`)} AS refused
          FROM att`,
        );
        if (!row) return null;
        const kept = evs.filter(
          (e) =>
            (e.kind !== "call:finished" || row.call_changed) && (e.kind !== "request:finished" || row.request_changed),
        );
        const first = row.event_seq - kept.length + 1;
        return kept.map((e, i) => ({ ...e, seq: first + i }));
      });
    },
    async getAttempt(id) {
      const [row] = await sql<SqlAttempt[]>`SELECT ${cols} FROM attempts WHERE id = ${id}`;
      return row ? toAttempt(row) : null;
    },
    async listAttempts(requestId) {
      const rows = await sql<SqlAttempt[]>`SELECT ${cols} FROM attempts WHERE request_id = ${requestId} ORDER BY ord`;
      return rows.map(toAttempt);
    },
    async listRunningAttempts(executorId) {
      // A scan: no server path reads this (tools and tests do), and an index on `status` would
      // make every attempt's finish update each index of the table (migration 011).
      const on = executorId === undefined ? sql`` : sql`AND executor_id = ${executorId}`;
      const rows = await sql<
        SqlAttempt[]
      >`SELECT ${cols} FROM attempts WHERE status = 'running' ${on} ORDER BY started_at, ord`;
      return rows.map(toAttempt);
    },
  };
  return methods;
}
