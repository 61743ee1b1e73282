/**
 * Per-request data written by running functions: state (last write wins), metrics and logs.
 * Batches (`addMetrics`, `appendLogs`) are one transaction each: all rows or none.
 */
import type Database from "better-sqlite3";
import type { LogRow, MetricRow, StateRow, Store, StoredLog } from "../types.js";
import { payloadParams, toPayload } from "../shared/rows.js";
import { writeTransaction } from "./transaction.js";

type RequestDataMethods = Pick<
  Store,
  "setState" | "getState" | "listState" | "addMetrics" | "listMetrics" | "appendLogs" | "listLogs"
>;

interface SqlState {
  key: string;
  value_type: string;
  value_size: number;
  value_inline: Uint8Array | null;
  value_blob: string | null;
  updated_at: number;
}

interface SqlMetric {
  request_id: string;
  call_id: string;
  function_name: string;
  attempt: number;
  kind: MetricRow["kind"];
  name: string;
  value: number;
  at: number;
}

interface SqlLog {
  id: number;
  request_id: string;
  attempt_id: string;
  call_id: string;
  function_name: string;
  stream: LogRow["stream"];
  ts: number;
  line: string;
}

export function requestDataMethods(db: Database.Database): RequestDataMethods {
  const upsertState = db.prepare<[string, string, string, number, Uint8Array | null, string | null, number]>(
    `INSERT INTO state (request_id, key, value_type, value_size, value_inline, value_blob, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (request_id, key) DO UPDATE SET value_type = excluded.value_type, value_size = excluded.value_size,
       value_inline = excluded.value_inline, value_blob = excluded.value_blob, updated_at = excluded.updated_at`,
  );
  const oneState = db.prepare<[string, string], SqlState>(
    "SELECT key, value_type, value_size, value_inline, value_blob, updated_at FROM state WHERE request_id = ? AND key = ?",
  );
  const allState = db.prepare<[string], SqlState>(
    "SELECT key, value_type, value_size, value_inline, value_blob, updated_at FROM state WHERE request_id = ? ORDER BY key",
  );
  const insertMetric = db.prepare<[string, string, string, number, string, string, number, number]>(
    `INSERT INTO metrics (request_id, call_id, function_name, attempt, kind, name, value, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const metrics = db.prepare<[string], SqlMetric>(
    "SELECT request_id, call_id, function_name, attempt, kind, name, value, at FROM metrics WHERE request_id = ? ORDER BY id",
  );
  const insertLog = db.prepare<[string, string, string, string, string, number, string]>(
    `INSERT INTO logs (request_id, attempt_id, call_id, function_name, stream, ts, line) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const logs = db.prepare<[string, number, number], SqlLog>(
    `SELECT id, request_id, attempt_id, call_id, function_name, stream, ts, line FROM logs
     WHERE request_id = ? AND id > ? ORDER BY id LIMIT ?`,
  );

  const addMetrics = writeTransaction(db, (rows: MetricRow[]) => {
    for (const m of rows)
      insertMetric.run(m.requestId, m.callId, m.functionName, m.attempt, m.kind, m.name, m.value, m.at);
  });
  const appendLogs = writeTransaction(db, (rows: LogRow[]) => {
    for (const l of rows) insertLog.run(l.requestId, l.attemptId, l.callId, l.functionName, l.stream, l.ts, l.line);
  });

  return {
    async setState(requestId, key, value, now) {
      const p = payloadParams(value);
      upsertState.run(requestId, key, value.contentType, value.size, p.inline, p.blob, now);
    },
    async getState(requestId, key) {
      const r = oneState.get(requestId, key);
      return r ? toPayload(r.value_type, r.value_size, r.value_inline, r.value_blob) : null;
    },
    async listState(requestId) {
      return allState.all(requestId).map((r): StateRow => ({
        key: r.key,
        value: toPayload(r.value_type, r.value_size, r.value_inline, r.value_blob)!,
        updatedAt: r.updated_at,
      }));
    },
    async addMetrics(rows) {
      if (rows.length > 0) addMetrics(rows);
    },
    async listMetrics(requestId) {
      return metrics.all(requestId).map((r): MetricRow => ({
        requestId: r.request_id,
        callId: r.call_id,
        functionName: r.function_name,
        attempt: r.attempt,
        kind: r.kind,
        name: r.name,
        value: r.value,
        at: r.at,
      }));
    },
    async appendLogs(rows) {
      if (rows.length > 0) appendLogs(rows);
    },
    async listLogs(requestId, afterId, limit) {
      return logs.all(requestId, afterId, limit).map((r): StoredLog => ({
        id: r.id,
        requestId: r.request_id,
        attemptId: r.attempt_id,
        callId: r.call_id,
        functionName: r.function_name,
        stream: r.stream,
        ts: r.ts,
        line: r.line,
      }));
    },
  };
}
