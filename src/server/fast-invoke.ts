/**
 * The invoke fast path: `POST /applications/{app}` (and its `/v1/namespaces/{ns}` form) served on
 * `node:http` directly, before Hono, without building a Web Request, a Response or a ReadableStream
 * (issue 15: the hot path's CPU per request). The logic is the route's own: `checkUserAccess`
 * (auth), `checkPathNameLengths`, `runInvoke` (validation and journaling) and `followEvents` (SSE),
 * so both paths answer every request alike; only the writing of the answer differs.
 *
 * It takes only what it can serve exactly as Hono would, and hands everything else to Hono before
 * reading any of it: other methods and paths, URLs with percent-escapes or `+` (Hono decodes them),
 * repeated header names (Node and WHATWG Headers join them differently) and `File` bodies (they
 * stream to the blob store through the Hono route).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { checkUserAccess } from "./auth/guard.js";
import type { Credentials } from "./auth/credentials.js";
import { readIncomingBody } from "./body.js";
import type { ServerContext } from "./context.js";
import { errorBody, toApiError, WWW_AUTHENTICATE } from "./http-error.js";
import { createdPrelude, isDataBody, nodeHeaderEntries, runInvoke, type InvokeSource } from "./invoke-core.js";
import { checkPathNameLengths } from "./names.js";
import { EVENT_STREAM_HEADERS, followEvents } from "./sse.js";

/** The invoke URL with plain (valid) names and a query without escapes: 1 namespace, 2 app, 3 query. */
const FAST_URL =
  /^(?:\/v1\/namespaces\/([A-Za-z0-9][A-Za-z0-9_-]{0,62}))?\/applications\/([A-Za-z_][A-Za-z0-9_]{0,127})(?:\?([^#%+]*))?$/;

/** A request the fast path serves, or `false`: Hono's. Decided before any of the body is read. */
export type FastInvoke = (req: IncomingMessage, res: ServerResponse) => boolean;

/** `key`'s first value in a query without escapes, as Hono's `c.req.query(key)` reads it. */
function queryParam(query: string | undefined, key: string): string | undefined {
  if (!query) return undefined;
  for (const part of query.split("&")) {
    const eq = part.indexOf("=");
    if ((eq < 0 ? part : part.slice(0, eq)) === key) return eq < 0 ? "" : part.slice(eq + 1);
  }
  return undefined;
}

/**
 * The fast path of one server.
 *
 * @example
 * const fast = createFastInvoke(ctx, creds);
 * http.createServer((req, res) => fast(req, res) || hono(req, res));
 */
export function createFastInvoke(s: ServerContext, creds: Credentials): FastInvoke {
  return (req, res) => {
    if (req.method !== "POST" || req.url === undefined) return false;
    const m = FAST_URL.exec(req.url);
    if (!m) return false;
    const h = req.headers;
    if (req.rawHeaders.length !== 2 * Object.keys(h).length) return false;
    if (!isDataBody(h["content-type"] ?? null, h["content-length"])) return false;
    const query = m[3];
    const header = (name: string): string | undefined => h[name] as string | undefined;
    const src: InvokeSource = {
      namespace: m[1],
      app: m[2],
      header,
      query: (key) => queryParam(query, key),
      headerEntries: () => nodeHeaderEntries(h),
      readBody: (limit) => readIncomingBody(req, limit),
      chunks: () => req,
    };
    const path = query === undefined ? req.url : req.url.slice(0, req.url.length - query.length - 1);
    // serve() answers every error itself; this only guards against one thrown while answering.
    serve(s, creds, src, path, req, res).catch(() => res.destroy());
    return true;
  };
}

async function serve(
  s: ServerContext,
  creds: Credentials,
  src: InvokeSource,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  try {
    const authorization = src.header("authorization");
    await checkUserAccess(creds, s.engine, { method: "POST", path, namespace: src.namespace, authorization });
    checkPathNameLengths(path, s.limits.maxNameLength);
    const r = await runInvoke(s, src);
    if (r.kind === "created") return send(res, 200, { "content-type": "application/json" }, createdJson(r.requestId));
    if (r.kind === "answer") return send(res, r.answer.status, r.answer.headers, r.answer.body);
    // The client may be gone already: nothing to follow (and no 'close' event left to stop it).
    if (res.destroyed) return;
    res.writeHead(200, { ...EVENT_STREAM_HEADERS, "x-tributary-request-id": r.requestId });
    const cancel = followEvents(
      s,
      r.requestId,
      { afterSeq: 0, events: r.events, prelude: createdPrelude(r.requestId) },
      { write: (text) => res.write(text), end: (text) => res.end(text), fail: (e) => res.destroy(e as Error) },
    );
    res.once("close", cancel);
  } catch (e) {
    const err = toApiError(e);
    if (res.headersSent) return void res.destroy();
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (err.status === 401) headers["www-authenticate"] = WWW_AUTHENTICATE;
    send(res, err.status, headers, JSON.stringify(errorBody(err)));
    if (!req.readableEnded) drainAfter(req, res);
  }
}

function createdJson(requestId: string): string {
  return JSON.stringify({ request_id: requestId });
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Uint8Array): void {
  const length = typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
  res.writeHead(status, { ...headers, "content-length": length });
  res.end(body);
}

/** How long, and how much, of a refused request's unread body is read to keep the connection. */
const DRAIN_MS = 500;
const DRAIN_MAX_BYTES = 64 * 1024 * 1024;

/**
 * After answering a request whose body was never read (refused before it), read and drop the rest
 * so the connection can serve the next request, within bounds: past them the connection is closed
 * (what Hono's Node adapter does, so a huge refused upload is never read to its end).
 */
function drainAfter(req: IncomingMessage, res: ServerResponse): void {
  res.once("finish", () => {
    if (req.readableEnded || req.destroyed) return;
    let read = 0;
    const stop = (): void => {
      clearTimeout(timer);
      req.off("data", onData);
      req.socket?.destroySoon();
    };
    const onData = (chunk: Buffer): void => {
      read += chunk.byteLength;
      if (read > DRAIN_MAX_BYTES) stop();
    };
    const timer = setTimeout(stop, DRAIN_MS);
    timer.unref();
    req.on("data", onData);
    req.once("end", () => {
      clearTimeout(timer);
      req.off("data", onData);
    });
    req.resume();
  });
}
