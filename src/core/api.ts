/**
 * JSON shapes of the HTTP API (docs/http-api.md), shared by the server, the client, the CLI and the
 * dashboard. Field names are snake_case on the wire, as in Tensorlake's API. Times are milliseconds
 * since the epoch.
 *
 * Invariant: this file and what it imports stay free of Node-only code and types, because the
 * dashboard's browser modules type-check against it with the DOM library and no Node types. Shapes
 * that need the manifest or function options (which reach the Node codecs) live in `api-deploy.ts`.
 */
import type { PlainError } from "./plain-error.js";
import type { AttemptStatus, FailureReason, Outcome, Status } from "./status.js";
import type { AttemptUsageInfo, UsageInfo } from "./usage.js";

export type { AttemptUsageInfo, UsageInfo } from "./usage.js";

export interface DeployResponse {
  applications: { name: string; version: number }[];
}

export interface ApplicationSummary {
  name: string;
  version: number;
  description: string;
  tags: Record<string, string>;
  created_at: number;
  functions: string[];
}

/** Answer of `GET …/applications`. */
export interface ApplicationList {
  applications: ApplicationSummary[];
}

export interface InvokeResponse {
  request_id: string;
}

export interface AttemptInfo {
  id: string;
  number: number;
  status: AttemptStatus;
  failure_reason: FailureReason | null;
  executor_id: string | null;
  container_id: string | null;
  started_at: number;
  finished_at: number | null;
  error?: PlainError | null;
  /** What the attempt consumed (null while it runs, or when its executor could not report). */
  usage?: AttemptUsageInfo | null;
}

export interface FunctionCallInfo {
  id: string;
  parent_id: string | null;
  /**
   * Its position in the parent attempt: the parent's n-th call (from 1; the root is 0), the same on
   * every replay of the parent. With `item`, the index within a map/reduce issued there (else 0).
   */
  seq: number;
  item: number;
  function_name: string;
  status: Status;
  failure_reason: FailureReason | null;
  attempts_used: number;
  /** Why a pending call has not started (waiting for capacity, backoff, …). */
  pending_reason?: string | null;
  created_at: number;
  finished_at: number | null;
  error?: PlainError | null;
  attempts: AttemptInfo[];
}

export interface ProgressInfo {
  /** The request's progress (0–1) aggregated over its call tree; 1 once it succeeded. */
  fraction: number;
  function_name: string;
  call_id: string;
  current: number;
  total: number;
  message?: string;
  attributes?: Record<string, string>;
  at: number;
}

export interface RequestSummary {
  id: string;
  application: string;
  version: number;
  status: Status;
  outcome: Outcome;
  failure_reason: FailureReason | null;
  created_at: number;
  finished_at: number | null;
}

export interface RequestDetail extends RequestSummary {
  request_error?: { function_name: string | null; message: string } | null;
  error?: PlainError | null;
  function_calls: FunctionCallInfo[];
  progress: ProgressInfo | null;
  /** Usage summed over the request's call tree (docs/semantics.md "Usage"). */
  usage: UsageInfo;
}

export interface RequestList {
  requests: RequestSummary[];
  next_cursor: string | null;
}

export interface MetricsResponse {
  counters: Record<string, number>;
  timers: Record<string, { count: number; sum: number; min: number; max: number }>;
  samples: {
    call_id: string;
    function_name: string;
    attempt: number;
    kind: "counter" | "timer";
    name: string;
    value: number;
    at: number;
  }[];
}

export interface LogLine {
  attempt_id: string;
  call_id: string;
  function_name: string;
  stream: "stdout" | "stderr";
  ts: number;
  line: string;
}

/** Answer of `GET …/requests/{id}/state`: each key's value as JSON. */
export interface StateResponse {
  state: Record<string, unknown>;
}

/** Answer of `GET …/requests/{id}/logs`: `next` is the cursor for `?after=`. */
export interface LogsResponse {
  logs: (LogLine & { id: number })[];
  next: number;
  finished: boolean;
}

/** A cron schedule as listed (`GET …/cron-schedules`, Tensorlake's shape). Times are ms since the epoch. */
export interface CronScheduleInfo {
  id: string;
  application_name: string;
  cron_expression: string;
  next_fire_time_ms: number;
  last_fired_at_ms: number | null;
  enabled: boolean;
}

/** Answer of `GET …/applications/{app}/cron-schedules`. */
export interface CronScheduleList {
  schedules: CronScheduleInfo[];
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** Name of the final SSE event of a request's progress stream. */
export const FINISHED_EVENT = "RequestFinished";

/** Outputs up to this size are inlined in `RequestFinished`; larger ones are read from `…/output`. */
export const INLINE_OUTPUT_MAX_BYTES = 1024 * 1024;

/**
 * An output inlined in `RequestFinished`: `body` is the JSON value when `content_type` is JSON,
 * otherwise the bytes in base64.
 */
export interface InlineOutput {
  content_type: string;
  body: unknown;
}

/**
 * Data of the final SSE event `RequestFinished` (DESIGN.md §4). `output` is present when the request
 * succeeded with an output of at most {@link INLINE_OUTPUT_MAX_BYTES}.
 */
export interface RequestFinishedData {
  request_id: string;
  status: Status;
  outcome: Outcome;
  failure_reason: FailureReason | null;
  request_error?: { function_name: string | null; message: string } | null;
  /** For failures other than request_error: the error that caused it. */
  error?: PlainError | null;
  output?: InlineOutput;
  /** When the request finished (ms since the epoch). */
  at: number;
}
