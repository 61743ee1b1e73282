/**
 * Invoke: `POST /applications/{app}`. The request is journaled before the answer; bad input is
 * rejected before anything is stored. JSON and structured bodies are read in memory under a limit;
 * any other content type is a `File` and streams to the blob store.
 */
import { createHash, randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Context, Hono } from "hono";
import { headerPairs } from "../../core/request-headers.js";
import { decodeStructuredBody, isJsonContentType, isStructuredContentType } from "../../core/codec.js";
import { bodyChunks, readBody } from "../body.js";
import { ns, type ServerContext } from "../context.js";
import { ApiError, badRequest, notFound, tooLarge } from "../http-error.js";
import { checkInput, inputContract, wrongInputKind } from "../input-validation.js";
import { checkAppName } from "../names.js";
import { eventSetOf, eventStream } from "../sse.js";
import type { InvokeInput } from "../../engine/index.js";

const IDEMPOTENCY_RE = /^[\x21-\x7e]{1,256}$/;

export function invokeRoutes(app: Hono, s: ServerContext): void {
  app.post("/applications/:app", async (c) => {
    const namespace = ns(c);
    const name = checkAppName(c.req.param("app"));
    const appV = await s.engine.application(namespace, name);
    if (!appV) throw notFound(`application '${name}' is not deployed in namespace '${namespace}'`);
    const contract = inputContract(appV.manifest.applications.find((a) => a.name === name)!);
    const idem = c.req.header("idempotency-key") ?? null;
    if (idem !== null && !IDEMPOTENCY_RE.test(idem))
      throw badRequest("Idempotency-Key must be 1–256 visible ASCII characters", { path: "Idempotency-Key" });
    const streamed = (c.req.header("accept") ?? "").includes("text/event-stream");
    const events = streamed ? eventSetOf(c.req.query("events")) : "default";
    const ct = c.req.header("content-type")?.trim() || null;
    const declared = Number(c.req.header("content-length") ?? NaN);
    const isData = ct === null || isJsonContentType(ct) || isStructuredContentType(ct);
    let input: InvokeInput;
    if (isData || declared === 0) {
      const body = await readBody(c, s.limits.maxBodyBytes);
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
        size = await s.blobs.putStream(key, hashed(bodyChunks(c.req.raw), sha256), s.limits.maxFileBytes);
      } catch (e) {
        if ((e as Error).name === "BlobTooLargeError")
          throw tooLarge(`file exceeds the limit of ${s.limits.maxFileBytes} bytes`);
        throw e;
      }
      input = { payload: { contentType: ct!, size, inline: null, blobKey: key }, sha256: sha256.digest("hex") };
    }
    const waitMs = waitOf(c.req.query("wait"), c.req.header("prefer"));
    const headers = invokeHeaders(c);
    const { requestId } = await s.engine.invoke(namespace, name, input, idem, headers);
    if (waitMs !== null) return await answerWhenFinished(s, requestId, waitMs);
    if (streamed) {
      const res = eventStream(s, requestId, {
        afterSeq: 0,
        events,
        prelude: `event: RequestCreated\ndata: ${JSON.stringify({ request_id: requestId })}\n\n`,
      });
      res.headers.set("x-tributary-request-id", requestId);
      return res;
    }
    return c.json({ request_id: requestId });
  });
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
function invokeHeaders(c: Context): [string, string][] {
  // On the Node adapter, the parsed object of the IncomingMessage (no Web Headers to build).
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const raw: [string, string][] = incoming
    ? Object.entries(incoming.headers).flatMap(([k, v]) =>
        v === undefined ? [] : Array.isArray(v) ? v.map((x): [string, string] => [k, x]) : [[k, v] as [string, string]],
      )
    : [...c.req.raw.headers];
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

/**
 * The synchronous form of invoke: the output itself (with its content type) when the request
 * succeeds in time; its failure as an error body (422 request_error, 409 cancelled, 500 otherwise);
 * 202 with the request id when it is still running.
 */
async function answerWhenFinished(s: ServerContext, requestId: string, waitMs: number): Promise<Response> {
  const r = await s.engine.waitFinished(requestId, waitMs);
  const headers = { "x-tributary-request-id": requestId };
  if (!r) return Response.json({ request_id: requestId, status: "running" }, { status: 202, headers });
  if (r.status === "succeeded" && r.output) {
    const bytes = await s.engine.readPayload(r.output);
    return new Response(bytes, {
      headers: { ...headers, "content-type": r.output.contentType || "application/octet-stream" },
    });
  }
  const reason = r.failureReason ?? "internal_error";
  const message = r.requestError?.message ?? r.error?.message ?? `request ${r.status}`;
  return Response.json(
    { error: { code: reason, message, details: { request_id: requestId, status: r.status, failure_reason: reason } } },
    { status: FAILURE_STATUS[reason] ?? 500, headers },
  );
}
