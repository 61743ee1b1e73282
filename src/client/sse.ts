/**
 * Reading a request's progress stream (`GET …/requests/{id}/progress`, `text/event-stream`).
 *
 * Invariants:
 * - The stream ends exactly after the event named `RequestFinished` (FINISHED_EVENT); nothing after
 *   it is read.
 * - A connection that drops (network error, server restart, clean end before `RequestFinished`) is
 *   reopened with `Last-Event-ID` set to the last id received, so no event is seen twice or lost;
 *   ids are the per-request event `seq`. Consecutive failed reconnects are bounded.
 * - A 4xx answer is final (unknown request, bad auth): it is raised, never retried.
 */
import { FINISHED_EVENT, type RequestFinishedData } from "../core/api.js";
import { plainError, type PlainError } from "../core/errors.js";
import type { EventSet } from "../core/event-set.js";
import { inlineOutputBytes } from "../core/inline-output.js";
import type { RequestEvent, RequestOutcome } from "../core/request.js";
import { outcomeOf } from "../core/status.js";
import { ClientError } from "./client-error.js";
import { SseParser, type SseMessage } from "./sse-parser.js";
import type { Transport } from "./transport.js";

export { SseParser, type SseMessage } from "./sse-parser.js";

export interface SseReadOptions {
  /** Resume after this id (sent as `Last-Event-ID` on the first connection too). */
  lastEventId?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Consecutive reconnects without receiving an event before giving up. Default 20. */
  maxReconnects?: number;
  /** First reconnect delay in ms (doubles up to 5 s; a server `retry:` overrides it). Default 200. */
  reconnectDelayMs?: number;
  /** True for the message after which the stream is complete. */
  isLast?: (m: SseMessage) => boolean;
}

/**
 * Reads an SSE endpoint, reconnecting as described in the header, until `isLast` says so.
 *
 * @example
 * for await (const m of readSse(transport, path, { isLast: (m) => m.event === "RequestFinished" })) console.log(m.data);
 */
export async function* readSse(
  transport: Transport,
  path: string,
  opts: SseReadOptions = {},
): AsyncGenerator<SseMessage> {
  const maxReconnects = opts.maxReconnects ?? 20;
  let delay = opts.reconnectDelayMs ?? 200;
  let lastEventId = opts.lastEventId;
  let failures = 0;
  for (;;) {
    opts.signal?.throwIfAborted();
    const conn = new AbortController();
    const onAbort = (): void => conn.abort(opts.signal?.reason);
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    const parser = new SseParser(lastEventId);
    let lastError: unknown;
    try {
      const headers: Record<string, string> = { accept: "text/event-stream", "cache-control": "no-cache" };
      if (lastEventId !== undefined) headers["last-event-id"] = lastEventId;
      const res = await transport.send(path, { headers, signal: conn.signal });
      if (!res.body) throw new ClientError(res.status, "bad_response", `${path}: the server sent no stream`);
      const reader = res.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          const messages = done ? parser.end() : parser.push(value);
          for (const m of messages) {
            failures = 0;
            lastEventId = m.id;
            yield m;
            if (opts.isLast?.(m)) return;
          }
          if (done) break;
        }
      } finally {
        // Releases the socket whether the consumer stopped early or the stream failed.
        reader.cancel().catch(() => {});
      }
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      if (e instanceof ClientError && e.status >= 400 && e.status < 500 && e.status !== 408 && e.status !== 429)
        throw e;
      lastError = e;
    } finally {
      opts.signal?.removeEventListener("abort", onAbort);
      conn.abort();
    }
    if (parser.retry !== undefined) delay = parser.retry;
    failures++;
    if (failures > maxReconnects) {
      const why = lastError instanceof Error ? lastError.message : "the stream ended before the request finished";
      throw new ClientError(
        0,
        "stream_lost",
        `lost the progress stream of ${path} after ${maxReconnects} reconnects: ${why}`,
      );
    }
    await sleep(delay, opts.signal);
    delay = Math.min(delay * 2, 5000);
  }
}

/** The output inlined in `RequestFinished`, as bytes with their content type. */
export interface FinishedOutput {
  bytes: Uint8Array;
  contentType: string;
}

/**
 * One item of a request's stream: an event, or the final outcome with the output when the server
 * inlined it (at most 1 MiB; otherwise `output` is absent and the caller reads `GET …/output`).
 */
export type StreamItem =
  | { type: "event"; event: RequestEvent }
  | { type: "finished"; outcome: RequestOutcome; event: RequestEvent; output?: FinishedOutput };

/** Options of {@link requestStream}. */
export interface RequestStreamOptions extends Omit<SseReadOptions, "isLast"> {
  /** `"default"`: progress updates and the outcome; `"all"`: every lifecycle event too. */
  events?: EventSet;
}

/**
 * The typed progress stream of one request: the events of the chosen set from the start (or after
 * `lastEventId`), then the outcome, then the end.
 *
 * @example
 * for await (const item of requestStream(client.transport, "greet", id)) {
 *   if (item.type === "finished") console.log(item.outcome.status, item.output?.contentType);
 * }
 */
export async function* requestStream(
  transport: Transport,
  app: string,
  requestId: string,
  opts: RequestStreamOptions = {},
): AsyncGenerator<StreamItem> {
  const { events, ...read } = opts;
  let path = transport.ns("applications", app, "requests", requestId, "progress");
  if (events === "all") path += "?events=all";
  for await (const m of readSse(transport, path, { ...read, isLast: (x) => x.event === FINISHED_EVENT })) {
    const data = parseData(m);
    if (data === undefined) continue;
    if (m.event === FINISHED_EVENT) {
      yield finishedItem(data as Partial<RequestFinishedData>, Number(m.id ?? 0));
      return;
    }
    if (typeof data.kind === "string") yield { type: "event", event: data as unknown as RequestEvent };
  }
}

/** `RequestFinished` data (snake_case, DESIGN.md §4) → the outcome, its event and the output. */
function finishedItem(d: Partial<RequestFinishedData>, seq: number): Extract<StreamItem, { type: "finished" }> {
  const status = d.status ?? "failed";
  const failureReason = d.failure_reason ?? null;
  const error: PlainError | null =
    d.error ?? (d.request_error ? plainError("RequestError", d.request_error.message) : null);
  const outcome: RequestOutcome = {
    status,
    outcome: d.outcome ?? outcomeOf(status, failureReason),
    failureReason,
    error,
  };
  // Like runLocal's, the final event is a `request:finished` RequestEvent (seq from the SSE id).
  const event: RequestEvent = { seq, kind: "request:finished", at: d.at ?? Date.now(), data: { ...outcome } };
  const output = d.output === undefined ? undefined : inlineOutputBytes(d.output);
  return output ? { type: "finished", outcome, event, output } : { type: "finished", outcome, event };
}

/** Event data as an object; anything else (a keep-alive `data: ping`) is skipped. */
function parseData(m: SseMessage): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(m.data);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
