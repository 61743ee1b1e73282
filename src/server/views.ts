/** Store rows → the JSON shapes of src/core/api.ts (snake_case, one vocabulary). */
import type { ApplicationDetail } from "../core/api-deploy.js";
import type {
  ApplicationSummary,
  AttemptInfo,
  FunctionCallInfo,
  ProgressInfo,
  RequestDetail,
  RequestSummary,
} from "../core/api.js";
import type { RequestEvent } from "../core/request.js";
import { outcomeOf } from "../core/status.js";
import { attemptUsageInfo, sumUsage } from "../core/usage.js";
import type { ApplicationRow, AttemptRow, CallRow, RequestRow } from "../store/types.js";

export function appSummary(row: ApplicationRow): ApplicationSummary {
  const app = row.manifest.applications.find((a) => a.name === row.name);
  return {
    name: row.name,
    version: row.version,
    description: app?.description ?? "",
    tags: app?.spec.tags ?? {},
    created_at: row.createdAt,
    functions: row.manifest.functions.map((f) => f.name),
  };
}

export function appDetail(row: ApplicationRow): ApplicationDetail {
  return {
    ...appSummary(row),
    application: row.manifest.applications.find((a) => a.name === row.name)!,
    function_specs: row.manifest.functions,
  };
}

export function requestSummary(r: RequestRow): RequestSummary {
  return {
    id: r.id,
    application: r.application,
    version: r.version,
    status: r.status,
    outcome: outcomeOf(r.status, r.failureReason),
    failure_reason: r.failureReason,
    created_at: r.createdAt,
    finished_at: r.finishedAt,
  };
}

function attemptInfo(a: AttemptRow): AttemptInfo {
  return {
    id: a.id,
    number: a.number,
    status: a.status,
    failure_reason: a.failureReason,
    executor_id: a.executorId,
    container_id: a.containerId,
    started_at: a.startedAt,
    finished_at: a.finishedAt,
    error: a.error,
    usage: a.usage ? attemptUsageInfo(a.usage) : null,
  };
}

export function requestDetail(
  r: RequestRow,
  calls: CallRow[],
  attempts: AttemptRow[],
  lastProgress: RequestEvent | null,
  pendingReasons: Map<string, string>,
): RequestDetail {
  const byCall = new Map<string, AttemptInfo[]>();
  for (const a of attempts) {
    const list = byCall.get(a.callId) ?? [];
    list.push(attemptInfo(a));
    byCall.set(a.callId, list);
  }
  const function_calls: FunctionCallInfo[] = calls.map((c) => ({
    id: c.id,
    parent_id: c.parentCallId,
    seq: c.seq,
    item: c.item,
    function_name: c.functionName,
    status: c.status,
    failure_reason: c.failureReason,
    attempts_used: c.attemptsUsed,
    pending_reason: c.status === "pending" ? (pendingReasons.get(c.id) ?? c.pendingReason) : null,
    created_at: c.createdAt,
    finished_at: c.finishedAt,
    error: c.error,
    attempts: (byCall.get(c.id) ?? []).sort((x, y) => x.number - y.number),
  }));
  const d = lastProgress?.data as
    | { current?: number; total?: number; fraction?: number; message?: string; attributes?: Record<string, string> }
    | undefined;
  const progress: ProgressInfo | null =
    lastProgress && d
      ? {
          fraction:
            r.status === "succeeded" ? 1 : (d.fraction ?? (d.total ? Math.min(1, (d.current ?? 0) / d.total) : 0)),
          function_name: lastProgress.functionName ?? "",
          call_id: lastProgress.callId ?? "",
          current: d.current ?? 0,
          total: d.total ?? 0,
          ...(d.message !== undefined ? { message: d.message } : {}),
          ...(d.attributes !== undefined ? { attributes: d.attributes } : {}),
          at: lastProgress.at,
        }
      : null;
  return {
    ...requestSummary(r),
    request_error: r.requestError
      ? { function_name: r.requestError.functionName, message: r.requestError.message }
      : null,
    error: r.error,
    function_calls,
    progress,
    usage: sumUsage(attempts.map((a) => a.usage)),
  };
}
