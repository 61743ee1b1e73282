/**
 * Attempts: starting one (CAS on a pending call) and finishing one (CAS on a running attempt),
 * each with the call/request changes and events it implies, in one transaction.
 *
 * Lock order is always attempt → call → request (the request row last, via its event counter), the
 * same in every method, so concurrent transitions wait for each other instead of deadlocking.
 */
import { ATTEMPT_USAGE_COLUMNS, json, toAttempt, usageColumns, type SqlAttempt } from "../shared/rows.js";
import type { Store } from "../types.js";
import type { Sql } from "./connect.js";
import type { Begin } from "./group-commit.js";
import { appendEvents } from "./events.js";
import { patchCall, patchRequest } from "./writes.js";

type AttemptMethods = Pick<
  Store,
  "startAttempt" | "finishAttempt" | "getAttempt" | "listAttempts" | "listRunningAttempts"
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

export function attemptMethods(sql: Sql, begin: Begin): AttemptMethods {
  const cols = sql(COLUMNS);

  return {
    async startAttempt(a, call, evs) {
      return begin(async (tx) => {
        const claimed = await tx`
          UPDATE function_calls SET status = 'running', attempts_used = ${call.attemptsUsed},
            infra_retries = ${call.infraRetries}, pending_reason = NULL
          WHERE id = ${a.callId} AND status = 'pending'`;
        if (claimed.count === 0) return null;
        // Sent together (one round trip), in this order: attempt first, request row last.
        const attempt = tx`
          INSERT INTO attempts (id, call_id, request_id, number, executor_id, container_id, status, started_at)
          VALUES (${a.id}, ${a.callId}, ${a.requestId}, ${a.number}, ${a.executorId}, ${a.containerId}, 'running', ${a.startedAt})`.execute();
        const running =
          tx`UPDATE requests SET status = 'running' WHERE id = ${a.requestId} AND status = 'pending'`.execute();
        const events = appendEvents(tx, a.requestId, evs);
        await Promise.all([attempt, running, events]);
        return events;
      });
    },
    async finishAttempt(id, a, c, r, evs) {
      return begin(async (tx) => {
        const set: Record<string, string | number | boolean | null> = { status: a.status, finished_at: a.finishedAt };
        if (a.failureReason !== undefined) set.failure_reason = a.failureReason;
        if (a.error !== undefined) set.error = json(a.error);
        if (a.containerId !== undefined) set.container_id = a.containerId;
        if (a.usage !== undefined) Object.assign(set, usageColumns(a.usage));
        const [owner] = await tx<{ call_id: string; request_id: string }[]>`
          UPDATE attempts SET ${tx(set)} WHERE id = ${id} AND status = 'running' RETURNING call_id, request_id`;
        if (!owner) return null;
        // Sent together (one round trip); they run in this order, call before request.
        const [callId, requestChanged] = await Promise.all([
          patchCall(tx, owner.call_id, "running", c),
          r !== null && patchRequest(tx, owner.request_id, r),
        ]);
        const callChanged = callId !== null;
        // An event announcing a change that did not happen is dropped: the stream never shows what
        // the store does not hold (e.g. no second `request:finished` after a cancellation).
        const kept = evs.filter(
          (e) => (e.kind !== "call:finished" || callChanged) && (e.kind !== "request:finished" || requestChanged),
        );
        return appendEvents(tx, owner.request_id, kept);
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
      const on = executorId === undefined ? sql`` : sql`AND executor_id = ${executorId}`;
      const rows = await sql<
        SqlAttempt[]
      >`SELECT ${cols} FROM attempts WHERE status = 'running' ${on} ORDER BY started_at, ord`;
      return rows.map(toAttempt);
    },
  };
}
