/**
 * Invoke (`POST /applications/{app}`), independent of the HTTP layer: the Hono route
 * (`routes/invoke.ts`) and the `node:http` fast path (`fast-invoke.ts`) both run `runInvoke` over a
 * `InvokeSource` and only differ in how they write its result. The request is journaled before the
 * answer; bad input is rejected before anything is stored. JSON and structured bodies are read in
 * memory under a limit; any other content type is a `File` and streams to the blob store.
 */
import { createHash, randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { headerPairs } from "../core/request-headers.js";
import { decodeStructuredBody, isJsonContentType, isStructuredContentType } from "../core/codec.js";
import type { EventSet } from "../core/event-set.js";
import type { InvokeInput } from "../engine/index.js";
import type { ServerContext } from "./context.js";
import { ApiError, badRequest, notFound, tooLarge } from "./http-error.js";
import { checkInput, inputContract, wrongInputKind } from "./input-validation.js";
import { checkAppName, checkNamespace } from "./names.js";
import { eventSetOf } from "./sse.js";

const IDEMPOTENCY_RE = /^[\x21-\x7e]{1,256}$/;

/** One invoke as the HTTP layer hands it over. Header names are lower-case. */
export interface InvokeSource {
  /** The `{ns}` path segment (undefined: the default namespace's short path). */
  namespace: string | undefined;
  /** The `{app}` path segment. */
  app: string | undefined;
  header(name: string): string | undefined;
  query(name: string): string | undefined;
  /** Every header, for `ctx.headers` (credentials are dropped here). */
  headerEntries(): Iterable<readonly [string, string]>;
  /** The whole body, in memory, 413 past `limit`. */
  readBody(limit: number): Promise<Uint8Array>;
  /** The body as it arrives (a `File` input). */
  chunks(): AsyncIterable<Uint8Array>;
}

/** The headers of a Node request as `[name, value]` pairs (a repeated `set-cookie` as several). */
export function nodeHeaderEntries(headers: IncomingHttpHeaders): [string, string][] {
  const out: [string, string][] = [];
  for (const k in headers) {
    const v = headers[k];
    if (typeof v === "string") out.push([k, v]);
    else if (v !== undefined) for (const x of v) out.push([k, x]);
  }
  return out;
}

/** A complete answer: status, headers and body. */
export interface InvokeAnswer {
  status: number;
  headers: Record<string, string>;
  body: string | Uint8Array;
}

export type InvokeResult =
  /** `{ request_id }`. */
  | { kind: "created"; requestId: string }
  /** The progress stream of the new request, after a `RequestCreated` prelude. */
  | { kind: "stream"; requestId: string; events: EventSet }
  /** `?wait=`: the output, the failure, or 202 still running. */
  | { kind: "answer"; answer: InvokeAnswer };

/** True for a body read in memory (JSON, structured, or none); false for a `File` body. */
export function isDataBody(contentType: string | null, contentLength: string | undefined): boolean {
  const ct = contentType?.trim() || null;
  return ct === null || isJsonContentType(ct) || isStructuredContentType(ct) || Number(contentLength ?? NaN) === 0;
}

/** The `RequestCreated` frame a streamed invoke starts with. */
export function createdPrelude(requestId: string): string {
  return `event: RequestCreated\ndata: ${JSON.stringify({ request_id: requestId })}\n\n`;
}

/** Validates and journals one invoke; throws `ApiError`/`EngineError` for a refused one. */
export async function runInvoke(s: ServerContext, src: InvokeSource): Promise<InvokeResult> {
  const namespace = checkNamespace(src.namespace ?? "default");
  const name = checkAppName(src.app);
  const appV = await s.engine.application(namespace, name);
  if (!appV) throw notFound(`application '${name}' is not deployed in namespace '${namespace}'`);
  const contract = inputContract(appV.manifest.applications.find((a) => a.name === name)!);
  const idem = src.header("idempotency-key") ?? null;
  if (idem !== null && !IDEMPOTENCY_RE.test(idem))
    throw badRequest("Idempotency-Key must be 1–256 visible ASCII characters", { path: "Idempotency-Key" });
  const streamed = (src.header("accept") ?? "").includes("text/event-stream");
  const events = streamed ? eventSetOf(src.query("events")) : "default";
  const ct = src.header("content-type")?.trim() || null;
  const declared = Number(src.header("content-length") ?? NaN);
  let input: InvokeInput;
  if (isDataBody(ct, src.header("content-length"))) {
    const body = await src.readBody(s.limits.maxBodyBytes);
    if (contract.accepts === "file" && body.byteLength > 0) throw wrongInputKind(name, contract, ct);
    if (ct !== null && isStructuredContentType(ct) && body.byteLength > 0) {
      try {
        decodeStructuredBody(body, "input");
      } catch (e) {
        throw badRequest((e as Error).message, { path: "$" });
      }
    } else {
      checkInput(body, ct, `${namespace}/${name}@${appV.version}`, contract);
    }
    input = { bytes: body, contentType: body.byteLength > 0 ? (ct ?? "application/json") : null };
  } else {
    if (contract.accepts === "json") throw wrongInputKind(name, contract, ct);
    if (Number.isFinite(declared) && declared > s.limits.maxFileBytes)
      throw tooLarge(`file of ${declared} bytes exceeds the limit of ${s.limits.maxFileBytes} bytes`);
    const key = `inputs/${namespace}/${randomUUID()}`;
    let size: number;
    // Hashed as it streams: an Idempotency-Key is checked against the input without reading it back.
    const sha256 = createHash("sha256");
    try {
      size = await s.blobs.putStream(key, hashed(src.chunks(), sha256), s.limits.maxFileBytes);
    } catch (e) {
      if ((e as Error).name === "BlobTooLargeError")
        throw tooLarge(`file exceeds the limit of ${s.limits.maxFileBytes} bytes`);
      throw e;
    }
    input = { payload: { contentType: ct!, size, inline: null, blobKey: key }, sha256: sha256.digest("hex") };
  }
  const waitMs = waitOf(src.query("wait"), src.header("prefer"));
  const headers = invokeHeaders(src.headerEntries());
  const { requestId } = await s.engine.invoke(namespace, name, input, idem, headers);
  if (waitMs !== null) return { kind: "answer", answer: await answerWhenFinished(s, requestId, waitMs) };
  if (streamed) return { kind: "stream", requestId, events };
  return { kind: "created", requestId };
}

async function* hashed(
  chunks: AsyncIterable<Uint8Array>,
  hash: ReturnType<typeof createHash>,
): AsyncIterable<Uint8Array> {
  for await (const chunk of chunks) {
    hash.update(chunk);
    yield chunk;
  }
}

/** Largest total size of the headers kept for `ctx.headers` (names and values, in bytes). */
const MAX_HEADER_BYTES = 8 * 1024;

/**
 * The invoke's headers as functions will read them (`ctx.headers`): lower-case names, without
 * credentials, which are never stored. 431 when they are too large to keep with the request.
 */
function invokeHeaders(raw: Iterable<readonly [string, string]>): [string, string][] {
  const pairs = headerPairs(raw);
  let size = 0;
  for (const [k, v] of pairs) size += k.length + v.length;
  if (size > MAX_HEADER_BYTES)
    throw new ApiError(
      431,
      "headers_too_large",
      `the invoke's headers total ${size} bytes; at most ${MAX_HEADER_BYTES} are kept for ctx.headers`,
      { path: "headers" },
    );
  return pairs;
}

/** `?wait=SECONDS` or `Prefer: wait=SECONDS` (RFC 7240): answer with the output once finished. */
function waitOf(query: string | undefined, prefer: string | undefined): number | null {
  const raw = query ?? /(?:^|[,;\s])wait=(\d+(?:\.\d+)?)/.exec(prefer ?? "")?.[1];
  if (raw === undefined) return null;
  const seconds = raw === "" || raw === "true" ? 60 : Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 3600)
    throw badRequest("wait must be a number of seconds between 0 and 3600", { path: "wait" });
  return seconds * 1000;
}

const FAILURE_STATUS: Record<string, 409 | 422 | 500> = { request_error: 422, cancelled: 409 };

function jsonAnswer(status: number, headers: Record<string, string>, value: unknown): InvokeAnswer {
  return { status, headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(value) };
}

/**
 * The synchronous form of invoke: the output itself (with its content type) when the request
 * succeeds in time; its failure as an error body (422 request_error, 409 cancelled, 500 otherwise);
 * 202 with the request id when it is still running.
 */
async function answerWhenFinished(s: ServerContext, requestId: string, waitMs: number): Promise<InvokeAnswer> {
  const r = await s.engine.waitFinished(requestId, waitMs);
  const headers = { "x-tributary-request-id": requestId };
  if (!r) return jsonAnswer(202, headers, { request_id: requestId, status: "running" });
  if (r.status === "succeeded" && r.output) {
    const bytes = await s.engine.readPayload(r.output);
    return {
      status: 200,
      headers: { ...headers, "content-type": r.output.contentType || "application/octet-stream" },
      body: bytes,
    };
  }
  const reason = r.failureReason ?? "internal_error";
  const message = r.requestError?.message ?? r.error?.message ?? `request ${r.status}`;
  return jsonAnswer(FAILURE_STATUS[reason] ?? 500, headers, {
    error: { code: reason, message, details: { request_id: requestId, status: r.status, failure_reason: reason } },
  });
}
