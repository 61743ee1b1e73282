/** Request metadata, output, progress stream, cancel, delete, state, metrics and logs. */
import { metricsResponse } from "../../core/metrics-response.js";
import type { Context, Hono } from "hono";
import type { LogsResponse, RequestList, StateResponse } from "../../core/api.js";
import { decodeStructured } from "../../core/codec.js";
import { STATUSES, isTerminal, type Status } from "../../core/status.js";
import type { RequestRow } from "../../store/types.js";
import { ns, type ServerContext } from "../context.js";
import { badRequest, conflict, notFound } from "../http-error.js";
import { jsonSafe } from "../json-safe.js";
import { checkAppName, checkRequestId } from "../names.js";
import { eventSetOf, eventStream } from "../sse.js";
import { requestDetail, requestSummary } from "../views.js";

/** The request named by the path, which must belong to the path's application and namespace. */
async function requestOf(c: Context, s: ServerContext): Promise<RequestRow> {
  const namespace = ns(c);
  const app = checkAppName(c.req.param("app"));
  const id = checkRequestId(c.req.param("id"));
  const r = await s.store.getRequest(id);
  if (!r || r.namespace !== namespace || r.application !== app)
    throw notFound(`request '${id}' of application '${app}' not found`);
  return r;
}

function intParam(c: Context, name: string, def: number, min: number, max: number): number {
  return optionalIntParam(c, name, max, min) ?? def;
}

/**
 * A whole number in [min, max] written in decimal digits; undefined when the parameter is absent.
 * Anything else is a 400 naming it (`limit=` or `limit=0` is not "the default").
 */
function optionalIntParam(c: Context, name: string, max: number, min = 0): number | undefined {
  const raw = c.req.query(name);
  if (raw === undefined) return undefined;
  const n = /^\d{1,16}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw badRequest(`query parameter '${name}' must be an integer between ${min} and ${max}`, { path: name });
  return n;
}

/** `id_prefix`: the characters a request id can hold, so it can never act as a pattern. */
const ID_PREFIX_RE = /^[A-Za-z0-9_-]{1,128}$/;

export function requestRoutes(app: Hono, s: ServerContext): void {
  app.get("/applications/:app/requests", async (c) => {
    const namespace = ns(c);
    const application = checkAppName(c.req.param("app"));
    const status = c.req.query("status");
    if (status !== undefined && !STATUSES.includes(status as Status))
      throw badRequest(`status must be one of ${STATUSES.join(", ")}`, { path: "status" });
    const limit = intParam(c, "limit", 50, 1, 1000);
    const cursor = c.req.query("cursor") ?? null;
    const idPrefix = c.req.query("id_prefix");
    if (idPrefix !== undefined && !ID_PREFIX_RE.test(idPrefix))
      throw badRequest(`query parameter 'id_prefix' must match ${ID_PREFIX_RE.source}`, { path: "id_prefix" });
    // Times are ms since the epoch: created_after inclusive, created_before exclusive.
    const createdAfter = optionalIntParam(c, "created_after", Number.MAX_SAFE_INTEGER);
    const createdBefore = optionalIntParam(c, "created_before", Number.MAX_SAFE_INTEGER);
    let page;
    try {
      page = await s.store.listRequests({
        namespace,
        application,
        status: status as Status | undefined,
        idPrefix,
        createdAfter,
        createdBefore,
        cursor,
        limit,
      });
    } catch (e) {
      throw badRequest(`invalid cursor: ${(e as Error).message}`, { path: "cursor" });
    }
    return c.json({ requests: page.rows.map(requestSummary), next_cursor: page.nextCursor } satisfies RequestList);
  });

  app.get("/applications/:app/requests/:id", async (c) => {
    const r = await requestOf(c, s);
    const [calls, attempts, lastProgress] = await Promise.all([
      s.store.listCalls(r.id),
      s.store.listAttempts(r.id),
      s.store.lastEvent(r.id, "progress"),
    ]);
    return c.json(requestDetail(r, calls, attempts, lastProgress, s.engine.pendingReasons(r.id)));
  });

  app.get("/applications/:app/requests/:id/output", async (c) => {
    const r = await requestOf(c, s);
    if (!isTerminal(r.status))
      throw conflict(`request '${r.id}' is ${r.status}; the output is not ready`, { status: r.status });
    if (r.status !== "succeeded" || !r.output) {
      throw conflict(
        `request '${r.id}' ${r.status}${r.failureReason ? ` (${r.failureReason})` : ""}: ${r.requestError?.message ?? r.error?.message ?? "no output"}`,
        {
          status: r.status,
          failure_reason: r.failureReason,
        },
      );
    }
    const bytes = await s.engine.readPayload(r.output);
    return new Response(bytes, {
      headers: {
        "content-type": r.output.contentType || "application/octet-stream",
        "content-length": String(bytes.byteLength),
      },
    });
  });

  app.get("/applications/:app/requests/:id/progress", async (c) => {
    const r = await requestOf(c, s);
    const events = eventSetOf(c.req.query("events"));
    const raw = c.req.header("last-event-id") ?? c.req.query("last_event_id") ?? "0";
    const after = Number(raw);
    if (!Number.isInteger(after) || after < 0)
      throw badRequest("Last-Event-ID must be a non-negative integer", { path: "Last-Event-ID" });
    return eventStream(s, r.id, { afterSeq: after, events });
  });

  app.post("/applications/:app/requests/:id/cancel", async (c) => {
    const r = await requestOf(c, s);
    const cancelled = await s.engine.cancel(r.id);
    if (!cancelled) throw conflict(`request '${r.id}' already finished (${r.status})`, { status: r.status });
    return c.json({ id: r.id, status: "cancelled" });
  });

  app.delete("/applications/:app/requests/:id", async (c) => {
    const r = await requestOf(c, s);
    if (!isTerminal(r.status))
      throw conflict(`request '${r.id}' is ${r.status}; cancel it before deleting`, { status: r.status });
    await s.store.deleteRequest(r.id);
    return c.json({ deleted: r.id });
  });

  app.get("/applications/:app/requests/:id/state", async (c) => {
    const r = await requestOf(c, s);
    const state: Record<string, unknown> = {};
    for (const row of await s.store.listState(r.id)) {
      try {
        state[row.key] = jsonSafe(decodeStructured(await s.engine.readPayload(row.value)));
      } catch {
        state[row.key] = { undecodable: true, size: row.value.size };
      }
    }
    return c.json({ state } satisfies StateResponse);
  });

  app.get("/applications/:app/requests/:id/metrics", async (c) => {
    const r = await requestOf(c, s);
    const rows = await s.store.listMetrics(r.id);
    return c.json(metricsResponse(rows));
  });

  app.get("/applications/:app/requests/:id/logs", async (c) => {
    const r = await requestOf(c, s);
    const after = intParam(c, "after", 0, 0, Number.MAX_SAFE_INTEGER);
    const limit = intParam(c, "limit", 1000, 1, 10000);
    const rows = await s.store.listLogs(r.id, after, limit);
    return c.json({
      logs: rows.map((l) => ({
        id: l.id,
        attempt_id: l.attemptId,
        call_id: l.callId,
        function_name: l.functionName,
        stream: l.stream,
        ts: l.ts,
        line: l.line,
      })),
      next: rows.length ? rows[rows.length - 1]!.id : after,
      finished: isTerminal(r.status),
    } satisfies LogsResponse);
  });
}
