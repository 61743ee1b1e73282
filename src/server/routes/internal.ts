/** Routes for executors only (executor token): application bundles. */
import type { Hono } from "hono";
import type { ServerContext } from "../context.js";
import { badRequest, notFound } from "../http-error.js";

export function internalRoutes(app: Hono, s: ServerContext): void {
  app.get("/bundles/:key", async (c) => {
    let key: string;
    try {
      key = decodeURIComponent(c.req.param("key"));
    } catch {
      throw badRequest("invalid bundle key: not a valid URL encoding", { path: "key" });
    }
    if (!/^bundles\/[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+$/.test(key)) throw badRequest("invalid bundle key", { path: "key" });
    let bytes: Uint8Array;
    try {
      bytes = await s.blobs.get(key);
    } catch {
      throw notFound(`bundle '${key}' not found`);
    }
    return new Response(bytes, { headers: { "content-type": "text/javascript" } });
  });
}
