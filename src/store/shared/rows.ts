/**
 * Rows as both SQL adapters select them (snake_case; SQLite and PostgreSQL name and type their
 * columns alike) and their mapping to the Store's domain rows. Pure functions; no statement and no
 * driver lives here.
 *
 * BLOBs come back from better-sqlite3 and postgres as `Buffer`s that own their memory; they are
 * handed out as plain `Uint8Array` views (no copy) so every adapter returns the same type.
 */
import type { PlainError } from "../../core/errors.js";
import type { AttemptStatus, FailureReason, Status } from "../../core/status.js";
import type { AttemptUsage } from "../../core/usage.js";
import type { AttemptRow, CallRow, NewCall, NewRequest, Payload, RequestError, RequestRow } from "../types.js";

/** A new pending call's columns as both stores insert them (arguments' bytes inline as they are). */
export function callColumns(c: NewCall) {
  const a = payloadParams(c.args);
  return {
    id: c.id,
    request_id: c.requestId,
    parent_call_id: c.parentCallId,
    seq: c.seq,
    item: c.item,
    function_name: c.functionName,
    args_type: a.type,
    args_size: a.size,
    args_inline: a.inline,
    args_blob: a.blob,
    not_before: c.notBefore,
    created_at: c.createdAt,
  };
}

/** The four columns of a payload, as bound parameters. `type === null` means no payload. */
export interface PayloadParams {
  type: string | null;
  size: number | null;
  inline: Uint8Array | null;
  blob: string | null;
}

export function payloadParams(p: Payload | null | undefined): PayloadParams {
  if (!p) return { type: null, size: null, inline: null, blob: null };
  return { type: p.contentType, size: p.size, inline: p.inline, blob: p.blobKey };
}

export function toPayload(
  type: string | null,
  size: number | null,
  inline: Uint8Array | null,
  blob: string | null,
): Payload | null {
  if (type === null) return null;
  return { contentType: type, size: size ?? 0, inline: bytes(inline), blobKey: blob };
}

export function bytes(b: Uint8Array | null): Uint8Array | null {
  return b === null ? null : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function json(v: unknown): string | null {
  return v === null || v === undefined ? null : JSON.stringify(v);
}

export function parseJson<T>(s: string | null): T | null {
  return s === null ? null : (JSON.parse(s) as T);
}

export interface SqlRequest {
  id: string;
  namespace: string;
  application: string;
  version: number;
  status: Status;
  failure_reason: FailureReason | null;
  request_error: string | null;
  error: string | null;
  input_type: string | null;
  input_size: number | null;
  input_inline: Uint8Array | null;
  input_blob: string | null;
  output_type: string | null;
  output_size: number | null;
  output_inline: Uint8Array | null;
  output_blob: string | null;
  idempotency_key: string | null;
  input_hash: string | null;
  headers: string | null;
  root_call_id: string;
  created_at: number;
  finished_at: number | null;
}

export function toRequest(r: SqlRequest): RequestRow {
  return {
    id: r.id,
    namespace: r.namespace,
    application: r.application,
    version: r.version,
    status: r.status,
    failureReason: r.failure_reason,
    requestError: parseJson<RequestError>(r.request_error),
    error: parseJson<PlainError>(r.error),
    input: toPayload(r.input_type, r.input_size, r.input_inline, r.input_blob),
    output: toPayload(r.output_type, r.output_size, r.output_inline, r.output_blob),
    idempotencyKey: r.idempotency_key,
    inputHash: r.input_hash,
    ...(r.headers ? { headers: JSON.parse(r.headers) as [string, string][] } : {}),
    rootCallId: r.root_call_id,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
  };
}

export interface SqlCall {
  id: string;
  request_id: string;
  parent_call_id: string | null;
  seq: number;
  item: number;
  function_name: string;
  args_type: string;
  args_size: number;
  args_inline: Uint8Array | null;
  args_blob: string | null;
  status: Status;
  attempts_used: number;
  infra_retries: number;
  not_before: number;
  result_type: string | null;
  result_size: number | null;
  result_inline: Uint8Array | null;
  result_blob: string | null;
  error: string | null;
  failure_reason: FailureReason | null;
  pending_reason: string | null;
  created_at: number;
  finished_at: number | null;
}

export function toCall(r: SqlCall): CallRow {
  return {
    id: r.id,
    requestId: r.request_id,
    parentCallId: r.parent_call_id,
    seq: r.seq,
    item: r.item,
    functionName: r.function_name,
    args: { contentType: r.args_type, size: r.args_size, inline: bytes(r.args_inline), blobKey: r.args_blob },
    status: r.status,
    attemptsUsed: r.attempts_used,
    infraRetries: r.infra_retries,
    notBefore: r.not_before,
    result: toPayload(r.result_type, r.result_size, r.result_inline, r.result_blob),
    error: parseJson<PlainError>(r.error),
    failureReason: r.failure_reason,
    pendingReason: r.pending_reason,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
  };
}

export interface SqlAttempt {
  id: string;
  call_id: string;
  request_id: string;
  number: number;
  executor_id: string | null;
  container_id: string | null;
  status: AttemptStatus;
  failure_reason: FailureReason | null;
  error: string | null;
  started_at: number;
  finished_at: number | null;
  wall_seconds: number | null;
  cpu_seconds: number | null;
  peak_memory_bytes: number | null;
  memory_gb_seconds: number | null;
  /** INTEGER 0/1 in SQLite, boolean in PostgreSQL. */
  container_started: number | boolean | null;
}

/** The usage columns of `attempts` (migration 006), in both dialects. */
export const ATTEMPT_USAGE_COLUMNS = [
  "wall_seconds",
  "cpu_seconds",
  "peak_memory_bytes",
  "memory_gb_seconds",
  "container_started",
] as const;

/** Column values of a usage report; all null without one (wall seconds null = no report). */
export function usageColumns(u: AttemptUsage | null): {
  wall_seconds: number | null;
  cpu_seconds: number | null;
  peak_memory_bytes: number | null;
  memory_gb_seconds: number | null;
  container_started: boolean | null;
} {
  return {
    wall_seconds: u?.wallSeconds ?? null,
    cpu_seconds: u?.cpuSeconds ?? null,
    peak_memory_bytes: u && u.peakMemoryBytes !== null ? Math.round(u.peakMemoryBytes) : null,
    memory_gb_seconds: u?.memoryGbSeconds ?? null,
    container_started: u ? u.containerStarted : null,
  };
}

function toUsage(r: SqlAttempt): AttemptUsage | null {
  if (r.wall_seconds === null || r.wall_seconds === undefined) return null;
  return {
    wallSeconds: r.wall_seconds,
    cpuSeconds: r.cpu_seconds,
    peakMemoryBytes: r.peak_memory_bytes,
    memoryGbSeconds: r.memory_gb_seconds ?? 0,
    containerStarted: r.container_started === true || r.container_started === 1,
  };
}

export function toAttempt(r: SqlAttempt): AttemptRow {
  return {
    id: r.id,
    callId: r.call_id,
    requestId: r.request_id,
    number: r.number,
    executorId: r.executor_id,
    containerId: r.container_id,
    status: r.status,
    failureReason: r.failure_reason,
    error: parseJson<PlainError>(r.error),
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    usage: toUsage(r),
  };
}

/**
 * The row a new request is inserted as, built from what is written rather than read back (one
 * statement fewer on the hottest path; the caller's payload bytes returned as given).
 */
export function newRequestRow(r: NewRequest): RequestRow {
  const { owner: _owner, needs: _needs, ...fields } = r;
  return {
    ...fields,
    status: "pending",
    failureReason: null,
    requestError: null,
    error: null,
    output: null,
    finishedAt: null,
  };
}
