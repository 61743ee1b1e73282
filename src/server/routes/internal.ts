/**
 * Routes for executors only (executor token): application bundles, and the large request inputs
 * that assignments carry by reference (streamed, so neither side holds one in memory).
 */
import type { Hono } from "hono";
import type { ServerContext } from "../context.js";
import { badRequest, notFound } from "../http-error.js";

export function internalRoutes(app: Hono, s: ServerContext): void {
  app.get("/bundles/:key", async (c) => {
    const key = keyParam(c.req.param("key"), "bundle", /^bundles\/[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+$/);
    let bytes: Uint8Array;
    try {
      bytes = await s.blobs.get(key);
    } catch {
      throw notFound(`bundle '${key}' not found`);
    }
    return new Response(bytes, { headers: { "content-type": "text/javascript" } });
  });

  app.get("/blobs/:key", async (c) => {
    // Only request inputs travel by reference; no other blob is served here.
    const key = keyParam(c.req.param("key"), "blob", /^inputs\/[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)?$/);
    const chunks = s.blobs.getStream(key)[Symbol.asyncIterator]();
    // The first chunk is read before answering, so a missing blob is a 404, not a broken 200.
    let first: IteratorResult<Uint8Array> | undefined;
    try {
      first = await chunks.next();
    } catch {
      throw notFound(`blob '${key}' not found`);
    }
    // Pull-driven: the next chunk is read only when the socket has taken the previous one.
    const body = new ReadableStream<Uint8Array>({
      async pull(ctl) {
        try {
          const r = first ?? (await chunks.next());
          first = undefined;
          if (r.done) ctl.close();
          else ctl.enqueue(r.value);
        } catch (e) {
          ctl.error(e);
        }
      },
      async cancel() {
        await chunks.return?.();
      },
    });
    return new Response(body, { headers: { "content-type": "application/octet-stream" } });
  });
}

/** A blob key from the path: URL-decoded, and of the one shape the route serves (else 400). */
function keyParam(raw: string, what: string, shape: RegExp): string {
  let key: string;
  try {
    key = decodeURIComponent(raw);
  } catch {
    throw badRequest(`invalid ${what} key: not a valid URL encoding`, { path: "key" });
  }
  if (!shape.test(key)) throw badRequest(`invalid ${what} key`, { path: "key" });
  return key;
}
