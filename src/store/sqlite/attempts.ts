/**
 * Attempts: starting one (CAS on a pending call) and finishing one (CAS on a running attempt),
 * each with the call/request changes and events it implies, in one transaction.
 */
import type Database from "better-sqlite3";
import type {
  AttemptPatch,
  AttemptStart,
  CallPatch,
  ContainerLimit,
  NewAttempt,
  NewEvent,
  RequestPatch,
  Store,
} from "../types.js";
import type { RequestEvent } from "../../core/request.js";
import type { EventLog } from "./events.js";
import { ATTEMPT_USAGE_COLUMNS, toAttempt, usageColumns, type SqlAttempt } from "../shared/rows.js";
import { jsonField, type Writes } from "./writes.js";
import { column, preparePatch, type PatchField } from "./patch-update.js";
import { UnknownRequestError } from "../shared/events.js";
import { writeTransaction } from "./transaction.js";

type AttemptMethods = Pick<
  Store,
  "startAttempt" | "startAttempts" | "finishAttempt" | "getAttempt" | "listAttempts" | "listRunningAttempts"
>;

const COLUMNS = `id, call_id, request_id, number, executor_id, container_id, status, failure_reason, error,
  started_at, finished_at, ${ATTEMPT_USAGE_COLUMNS.join(", ")}`;

export function attemptMethods(db: Database.Database, events: EventLog, writes: Writes): AttemptMethods {
  const claimCall = db.prepare<[number, number, string]>(
    `UPDATE function_calls SET status = 'running', attempts_used = ?, infra_retries = ?, pending_reason = NULL
     WHERE id = ? AND status = 'pending'`,
  );
  const insert = db.prepare<[string, string, string, number, string | null, string | null, number]>(
    `INSERT INTO attempts (id, call_id, request_id, number, executor_id, container_id, status, started_at)
     VALUES (?, ?, ?, ?, ?, ?, 'running', ?)`,
  );
  // The request is read, then written by one of two UPDATEs: naming `status` (an indexed column)
  // in a SET costs SQLite the index work even when the value stays, and nearly every start finds
  // the request running already. No `UPDATE … RETURNING` (here and below): SQLite buffers the rows
  // it returns in a temporary B-tree created on every execution, dearer than a point SELECT; the
  // write transaction is held, so nothing comes between the read and the write.
  const requestState = db.prepare<[string], { status: string; event_seq: number }>(
    "SELECT status, event_seq FROM requests WHERE id = ?",
  );
  const startRequest = db.prepare<[number, string]>(
    "UPDATE requests SET status = 'running', event_seq = ? WHERE id = ?",
  );
  const setLastSeq = db.prepare<[number, string]>("UPDATE requests SET event_seq = ? WHERE id = ?");
  /** Marks the request running if it was pending, reserves seqs for `evs` and journals them. */
  const journalStart = (requestId: string, evs: readonly NewEvent[]): RequestEvent[] => {
    const req = requestState.get(requestId);
    if (!req) throw new UnknownRequestError(requestId);
    (req.status === "pending" ? startRequest : setLastSeq).run(req.event_seq + evs.length, requestId);
    return events.insert(requestId, req.event_seq + 1, evs);
  };
  const runningOwner = db.prepare<[string], { call_id: string; request_id: string }>(
    "SELECT call_id, request_id FROM attempts WHERE id = ? AND status = 'running'",
  );
  const finish = preparePatch(db, "attempts", ["status", "finished_at"], ATTEMPT_FIELDS, "id = ?");
  const byId = db.prepare<[string], SqlAttempt>(`SELECT ${COLUMNS} FROM attempts WHERE id = ?`);
  const byRequest = db.prepare<[string], SqlAttempt>(
    `SELECT ${COLUMNS} FROM attempts WHERE request_id = ? ORDER BY rowid`,
  );
  // Scans: no server path reads these (tools and tests do), and an index of running attempts was
  // written twice by every attempt (migration 011).
  const running = db.prepare<[], SqlAttempt>(
    `SELECT ${COLUMNS} FROM attempts WHERE status = 'running' ORDER BY started_at`,
  );
  const runningOn = db.prepare<[string], SqlAttempt>(
    `SELECT ${COLUMNS} FROM attempts WHERE status = 'running' AND executor_id = ? ORDER BY started_at`,
  );

  const runningUnder = db.prepare<Record<string, unknown>, { n: number }>(
    `SELECT count(*) AS n FROM attempts a
       JOIN requests r ON r.id = a.request_id
       JOIN function_calls c ON c.id = a.call_id
     WHERE a.status = 'running' AND r.namespace = @namespace AND r.application = @application
       AND r.version = @version AND c.function_name IN (SELECT value FROM json_each(@functions))`,
  );
  const start = writeTransaction(
    db,
    (
      a: NewAttempt,
      call: { attemptsUsed: number; infraRetries: number },
      evs: NewEvent[],
      limit: ContainerLimit | undefined,
    ) => {
      // The write lock (IMMEDIATE) already serialises starts: count, then insert.
      if (limit && runningUnder.get({ ...limit, functions: JSON.stringify(limit.functions) })!.n >= limit.max)
        return "full" as const;
      if (claimCall.run(call.attemptsUsed, call.infraRetries, a.callId).changes === 0) return null;
      insert.run(a.id, a.callId, a.requestId, a.number, a.executorId, a.containerId, a.startedAt);
      return journalStart(a.requestId, evs);
    },
  );

  // A run's starts: the claims and inserts one by one (cheap statements), then per request one
  // `running` check, one seq reservation and the events in multi-row INSERTs.
  const startMany = writeTransaction(db, (starts: AttemptStart[]): (RequestEvent[] | null)[] => {
    const out: (RequestEvent[] | null)[] = starts.map(() => null);
    const byRequest = new Map<string, number[]>();
    starts.forEach((s, i) => {
      const a = s.attempt;
      if (claimCall.run(s.call.attemptsUsed, s.call.infraRetries, a.callId).changes === 0) return;
      insert.run(a.id, a.callId, a.requestId, a.number, a.executorId, a.containerId, a.startedAt);
      const list = byRequest.get(a.requestId);
      if (list) list.push(i);
      else byRequest.set(a.requestId, [i]);
    });
    for (const [requestId, list] of byRequest) {
      const evs = journalStart(
        requestId,
        list.flatMap((i) => starts[i]!.events),
      );
      let k = 0;
      for (const i of list) {
        const n = starts[i]!.events.length;
        out[i] = evs.slice(k, k + n);
        k += n;
      }
    }
    return out;
  });

  const end = writeTransaction(
    db,
    (id: string, a: AttemptPatch, c: CallPatch, r: RequestPatch | null, evs: NewEvent[]): RequestEvent[] | null => {
      const owner = runningOwner.get(id);
      if (!owner) return null;
      finish([a.status, a.finishedAt], a, [id]);
      const callChanged = writes.patchCall(owner.call_id, "running", c);
      let requestChanged = false;
      if (r !== null && callChanged) {
        // The usual end of a root call: the request's finish reserves the events' seqs with it.
        const last = writes.patchRequestReserving(owner.request_id, r, evs.length);
        if (last !== null) return events.insert(owner.request_id, last - evs.length + 1, evs);
      } else if (r !== null) requestChanged = writes.patchRequest(owner.request_id, r);
      // An event announcing a change that did not happen is dropped: the stream never shows what
      // the store does not hold (e.g. no second `request:finished` after a cancellation).
      const kept =
        callChanged && (r === null || requestChanged)
          ? evs
          : evs.filter(
              (e) => (e.kind !== "call:finished" || callChanged) && (e.kind !== "request:finished" || requestChanged),
            );
      return events.append(owner.request_id, kept);
    },
  );

  return {
    async startAttempt(attempt, call, evs, limit) {
      return start(attempt, call, evs, limit);
    },
    async startAttempts(starts) {
      return starts.length ? startMany(starts) : [];
    },
    async finishAttempt(attemptId, attempt, call, request, evs) {
      return end(attemptId, attempt, call, request, evs);
    },
    async getAttempt(id) {
      const row = byId.get(id);
      return row ? toAttempt(row) : null;
    },
    async listAttempts(requestId) {
      return byRequest.all(requestId).map(toAttempt);
    },
    async listRunningAttempts(executorId) {
      return (executorId === undefined ? running.all() : runningOn.all(executorId)).map(toAttempt);
    },
  };
}

/** What an attempt's finish may set besides its status and time. */
const ATTEMPT_FIELDS: readonly PatchField<AttemptPatch>[] = [
  column("failure_reason", (a) => a.failureReason),
  jsonField("error", (a) => a.error),
  column("container_id", (a) => a.containerId),
  {
    columns: ATTEMPT_USAGE_COLUMNS,
    values: (a) => {
      if (a.usage === undefined) return undefined;
      const c = usageColumns(a.usage);
      // Booleans as SQLite stores them (0/1).
      const started = c.container_started === null ? null : c.container_started ? 1 : 0;
      return [c.wall_seconds, c.cpu_seconds, c.peak_memory_bytes, c.memory_gb_seconds, started];
    },
  },
];
