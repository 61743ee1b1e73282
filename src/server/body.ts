/**
 * Reading request bodies under a size limit. Content-Length is checked first (413 before reading),
 * then the bytes actually read are counted (a lying or absent Content-Length cannot get past it).
 */
import type { IncomingMessage } from "node:http";
import type { Context } from "hono";
import { tooLarge } from "./http-error.js";

function checkDeclared(declared: string | null | undefined, limit: number): void {
  const n = Number(declared ?? NaN);
  if (Number.isFinite(n) && n > limit) throw tooLarge(`body of ${n} bytes exceeds the limit of ${limit} bytes`);
}

function overLimit(limit: number): Error {
  return tooLarge(`body exceeds the limit of ${limit} bytes`);
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 0) return new Uint8Array(0);
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

/**
 * The body of a Node request (the invoke fast path, and Hono's Node adapter underneath). Read with
 * 'data'/'end' listeners rather than `for await`: a stream's async iterator costs more than the
 * small body of a hot-path invoke.
 */
export function readIncomingBody(incoming: IncomingMessage, limit: number): Promise<Uint8Array> {
  checkDeclared(incoming.headers["content-length"], limit);
  if (incoming.readableEnded) return Promise.resolve(new Uint8Array(0));
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    const done = (): void => {
      incoming.off("data", onData);
      incoming.off("end", onEnd);
      incoming.off("error", onError);
      incoming.off("close", onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.byteLength;
      if (size > limit) {
        done();
        incoming.destroy();
        reject(overLimit(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      done();
      resolve(concat(chunks, size));
    };
    const onError = (e: Error): void => {
      done();
      reject(e);
    };
    // Closed before its end (the client went away): what the async iterator reports.
    const onClose = (): void => {
      done();
      reject(Object.assign(new Error("Premature close"), { code: "ERR_STREAM_PREMATURE_CLOSE" }));
    };
    incoming.on("data", onData);
    incoming.on("end", onEnd);
    incoming.on("error", onError);
    incoming.on("close", onClose);
  });
}

export async function readBody(req: Request | Context, limit: number): Promise<Uint8Array> {
  // On the Node adapter, read the IncomingMessage itself: building the Web Request (and its
  // AbortSignal and stream) costs more than the body for the small bodies of the hot path.
  const incoming = "env" in req ? (req.env as { incoming?: IncomingMessage } | undefined)?.incoming : undefined;
  if (incoming) return readIncomingBody(incoming, limit);
  const raw = "env" in req ? req.req.raw : req;
  checkDeclared(raw.headers.get("content-length"), limit);
  const body = raw.body;
  if (!body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw overLimit(limit);
    }
    chunks.push(value);
  }
  return concat(chunks, size);
}

/** Streams a body as an async iterable of chunks (for multi-GB `File` inputs). */
export async function* bodyChunks(req: Request): AsyncIterable<Uint8Array> {
  if (!req.body) return;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}
