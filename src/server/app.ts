/**
 * The HTTP API as a Hono app (testable in-process with `app.request()`): the routes of docs/http-api.md
 * under `/v1/namespaces/{ns}` and, for the default namespace, under `/`.
 */
import { timingSafeEqual } from "node:crypto";
import { Hono, type Context } from "hono";
import { EngineError } from "../engine/index.js";
import type { ServerContext } from "./context.js";
import { ApiError, errorResponse } from "./http-error.js";
import { applicationRoutes } from "./routes/applications.js";
import { invokeRoutes } from "./routes/invoke.js";
import { requestRoutes } from "./routes/requests.js";
import { secretRoutes } from "./routes/secrets.js";
import { internalRoutes } from "./routes/internal.js";
import { prometheusText } from "./prometheus.js";
import { dashboardApp } from "../dashboard/index.js";

export interface AuthOptions {
  apiKeys: string[];
  executorToken: string | null;
}

function tokenOf(c: Context): string | null {
  const h = c.req.header("authorization") ?? "";
  const m = /^Bearer\s+(.+)$/i.exec(h);
  return m ? m[1]!.trim() : null;
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.byteLength === y.byteLength && timingSafeEqual(x, y);
}

export function createApp(s: ServerContext, auth: AuthOptions): Hono {
  const app = new Hono();
  app.onError((e, c) => {
    if (e instanceof ApiError) return errorResponse(c, e);
    if (e instanceof EngineError) return errorResponse(c, new ApiError(e.status, e.code, e.message, e.details));
    process.stderr.write(`tributary server: ${(e as Error).stack ?? String(e)}\n`);
    return errorResponse(c, new ApiError(500, "internal", "internal error"));
  });
  app.notFound((c) => errorResponse(c, new ApiError(404, "not_found", `no route for ${c.req.method} ${c.req.path}`)));

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/metrics", async (c) => c.text(await prometheusText(s), 200, { "content-type": "text/plain; version=0.0.4" }));
  // Mounted before the API so the API key check (a "*" middleware on "/") never applies to the page
  // itself; the page holds no data and sends the key with every API call it makes.
  app.route("/ui", dashboardApp());

  const api = new Hono();
  api.use("*", async (c, next) => {
    if (auth.apiKeys.length === 0) return next();
    const t = tokenOf(c);
    if (t === null) throw new ApiError(401, "unauthorized", "missing 'Authorization: Bearer <api key>'");
    if (!auth.apiKeys.some((k) => safeEqual(k, t))) throw new ApiError(403, "forbidden", "the API key is not valid");
    return next();
  });
  applicationRoutes(api, s);
  invokeRoutes(api, s);
  requestRoutes(api, s);
  secretRoutes(api, s);

  const internal = new Hono();
  internal.use("*", async (c, next) => {
    if (auth.executorToken === null) return next();
    const t = tokenOf(c);
    if (t === null || !safeEqual(t, auth.executorToken)) throw new ApiError(401, "unauthorized", "executor token required");
    return next();
  });
  internalRoutes(internal, s);

  app.route("/v1/internal", internal);
  app.route("/v1/namespaces/:ns", api);
  app.route("/", api);
  return app;
}
