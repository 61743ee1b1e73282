/**
 * Invoke on Hono: `POST /applications/{app}`. The logic is `runInvoke` (invoke-core.ts), shared with
 * the `node:http` fast path (fast-invoke.ts), which serves the common cases before Hono; this route
 * serves the rest (`File` bodies, unusual URLs and headers) and `app.request()` in tests.
 */
import type { IncomingMessage } from "node:http";
import type { Hono } from "hono";
import { bodyChunks, readBody } from "../body.js";
import type { ServerContext } from "../context.js";
import { createdPrelude, nodeHeaderEntries, runInvoke, type InvokeSource } from "../invoke-core.js";
import { eventStream } from "../sse.js";

export function invokeRoutes(app: Hono, s: ServerContext): void {
  app.post("/applications/:app", async (c) => {
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    const src: InvokeSource = {
      namespace: c.req.param("ns"),
      app: c.req.param("app"),
      header: (name) => c.req.header(name),
      query: (name) => c.req.query(name),
      // On the Node adapter the parsed headers of the IncomingMessage (no Web Headers to build).
      headerEntries: () => (incoming ? nodeHeaderEntries(incoming.headers) : c.req.raw.headers),
      readBody: (limit) => readBody(c, limit),
      chunks: () => bodyChunks(c.req.raw),
    };
    const r = await runInvoke(s, src);
    if (r.kind === "answer") return new Response(r.answer.body, r.answer);
    if (r.kind === "stream") {
      const res = eventStream(s, r.requestId, { afterSeq: 0, events: r.events, prelude: createdPrelude(r.requestId) });
      res.headers.set("x-tributary-request-id", r.requestId);
      return res;
    }
    return c.json({ request_id: r.requestId });
  });
}
