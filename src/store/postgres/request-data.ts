/**
 * Per-request data written by running functions: state (last write wins), metrics and logs.
 * Batches (`addMetrics`, `appendLogs`) are one statement each: all rows or none.
 */
import { payloadParams, toPayload } from "../shared/rows.js";
import type { LogRow, MetricRow, StateRow, Store, StoredLog } from "../types.js";
import type { Sql } from "./connect.js";
import { transaction } from "./transaction.js";

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

const STATE = ["key", "value_type", "value_size", "value_inline", "value_blob", "updated_at"];
const METRIC = ["request_id", "call_id", "function_name", "attempt", "kind", "name", "value", "at"];
const LOG = ["request_id", "attempt_id", "call_id", "function_name", "stream", "ts", "line"];

export function requestDataMethods(sql: Sql): RequestDataMethods {
  const state = sql(STATE);
  const toState = (r: SqlState): StateRow => ({
    key: r.key,
    value: toPayload(r.value_type, r.value_size, r.value_inline, r.value_blob)!,
    updatedAt: r.updated_at,
  });

  return {
    async setState(requestId, key, value, now) {
      const p = payloadParams(value);
      await sql`
        INSERT INTO state (request_id, key, value_type, value_size, value_inline, value_blob, updated_at)
        VALUES (${requestId}, ${key}, ${value.contentType}, ${value.size}, ${p.inline}, ${p.blob}, ${now})
        ON CONFLICT (request_id, key) DO UPDATE SET value_type = excluded.value_type, value_size = excluded.value_size,
          value_inline = excluded.value_inline, value_blob = excluded.value_blob, updated_at = excluded.updated_at`;
    },
    async getState(requestId, key) {
      const [r] = await sql<SqlState[]>`SELECT ${state} FROM state WHERE request_id = ${requestId} AND key = ${key}`;
      return r ? toState(r).value : null;
    },
    async listState(requestId) {
      const rows = await sql<SqlState[]>`SELECT ${state} FROM state WHERE request_id = ${requestId} ORDER BY key`;
      return rows.map(toState);
    },
    async addMetrics(rows) {
      if (rows.length === 0) return;
      const values = rows.map((m) => ({
        request_id: m.requestId,
        call_id: m.callId,
        function_name: m.functionName,
        attempt: m.attempt,
        kind: m.kind,
        name: m.name,
        value: m.value,
        at: m.at,
      }));
      await sql`INSERT INTO metrics ${sql(values)}`;
    },
    async listMetrics(requestId) {
      const rows = await sql<
        (Omit<MetricRow, "requestId" | "callId" | "functionName"> & {
          request_id: string;
          call_id: string;
          function_name: string;
        })[]
      >`
        SELECT ${sql(METRIC)} FROM metrics WHERE request_id = ${requestId} ORDER BY id`;
      return rows.map((r): MetricRow => ({
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
      if (rows.length === 0) return;
      const values = rows.map((l) => ({
        request_id: l.requestId,
        attempt_id: l.attemptId,
        call_id: l.callId,
        function_name: l.functionName,
        stream: l.stream,
        ts: l.ts,
        line: l.line,
      }));
      const requests = [...new Set(rows.map((l) => l.requestId))].sort();
      await transaction(sql, async (tx) => {
        // Ids come from a sequence at insert time, not at commit. Writers of one request take turns
        // (in sorted order, so two batches cannot deadlock), so that request's ids commit in order
        // and a follower reading "after id N" never skips a line that commits later.
        for (const id of requests)
          await tx`SELECT pg_advisory_xact_lock(hashtextextended(${`tributary.logs:${id}`}, 0))`;
        await tx`INSERT INTO logs ${tx(values)}`;
      });
    },
    async listLogs(requestId, afterId, limit) {
      const rows = await sql<
        {
          id: number;
          request_id: string;
          attempt_id: string;
          call_id: string;
          function_name: string;
          stream: LogRow["stream"];
          ts: number;
          line: string;
        }[]
      >`
        SELECT id, ${sql(LOG)} FROM logs WHERE request_id = ${requestId} AND id > ${afterId} ORDER BY id LIMIT ${limit}`;
      return rows.map((r): StoredLog => ({
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
