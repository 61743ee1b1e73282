/**
 * Reading request bodies under a size limit. Content-Length is checked first (413 before reading),
 * then the bytes actually read are counted (a lying or absent Content-Length cannot get past it).
 */
import type { IncomingMessage } from "node:http";
import type { Context } from "hono";
import { tooLarge } from "./http-error.js";

export async function readBody(req: Request | Context, limit: number): Promise<Uint8Array> {
  // On the Node adapter, read the IncomingMessage itself: building the Web Request (and its
  // AbortSignal and stream) costs more than the body for the small bodies of the hot path.
  const incoming = "env" in req ? (req.env as { incoming?: IncomingMessage } | undefined)?.incoming : undefined;
  const raw = (): Request => ("env" in req ? req.req.raw : req);
  const declared = Number((incoming ? incoming.headers["content-length"] : raw().headers.get("content-length")) ?? NaN);
  if (Number.isFinite(declared) && declared > limit)
    throw tooLarge(`body of ${declared} bytes exceeds the limit of ${limit} bytes`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (incoming) {
    for await (const chunk of incoming as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      if (size > limit) {
        incoming.destroy();
        throw tooLarge(`body exceeds the limit of ${limit} bytes`);
      }
      chunks.push(chunk);
    }
  } else {
    const body = raw().body;
    if (!body) return new Uint8Array(0);
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        throw tooLarge(`body exceeds the limit of ${limit} bytes`);
      }
      chunks.push(value);
    }
  }
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
