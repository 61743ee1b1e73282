/**
 * The HTTP API as a Hono app (testable in-process with `app.request()`): the routes of docs/http-api.md
 * under `/v1/namespaces/{ns}` and, for the default namespace, under `/`.
 *
 * Auth (DESIGN.md §4 "Auth."): every route group carries its guard from `auth/guard.ts`; only
 * `/healthz` and the `/ui` page shell are open whatever the keys.
 */
import { Hono } from "hono";
import type { ServerContext } from "./context.js";
import { ApiError, errorResponse, toApiError } from "./http-error.js";
import { applicationRoutes } from "./routes/applications.js";
import { cronScheduleRoutes } from "./routes/cron-schedules.js";
import { invokeRoutes } from "./routes/invoke.js";
import { keyRoutes } from "./routes/keys.js";
import { requestRoutes } from "./routes/requests.js";
import { secretRoutes } from "./routes/secrets.js";
import { internalRoutes } from "./routes/internal.js";
import { prometheusText } from "./prometheus.js";
import { dashboardApp } from "../dashboard/index.js";
import { Credentials } from "./auth/credentials.js";
import { createGuards } from "./auth/guard.js";
import { checkPathNameLengths } from "./names.js";

export interface AuthOptions {
  /** Bootstrap admin keys; with none, the server needs no key. */
  apiKeys: string[];
  executorToken: string | null;
}

/**
 * The Hono app of one server.
 *
 * @example
 * const app = createApp(ctx, new Credentials(ctx.store, { apiKeys: ["k"], executorToken: null }));
 * const res = await app.request("/healthz");
 */
export function createApp(s: ServerContext, auth: AuthOptions | Credentials): Hono {
  const creds = auth instanceof Credentials ? auth : new Credentials(s.store, auth);
  const guard = createGuards(creds, s.engine);
  const app = new Hono();
  app.onError((e, c) => errorResponse(c, toApiError(e)));
  app.notFound((c) => errorResponse(c, new ApiError(404, "not_found", `no route for ${c.req.method} ${c.req.path}`)));

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/metrics", guard.spanning, async (c) =>
    c.text(await prometheusText(s), 200, { "content-type": "text/plain; version=0.0.4" }),
  );
  // Mounted before the API so the user guard (a "*" middleware on "/") never applies to the page
  // itself; the page holds no data and sends the key with every API call it makes.
  app.route("/ui", dashboardApp());

  const keys = new Hono();
  keys.use("*", guard.admin);
  keyRoutes(keys, s);
  app.route("/v1/keys", keys);

  const internal = new Hono();
  internal.use("*", guard.executor);
  internalRoutes(internal, s);
  app.route("/v1/internal", internal);

  const api = new Hono();
  api.use("*", guard.user);
  api.use("*", async (c, next) => {
    checkPathNameLengths(c.req.path, s.limits.maxNameLength);
    return next();
  });
  applicationRoutes(api, s);
  invokeRoutes(api, s);
  requestRoutes(api, s);
  secretRoutes(api, s);
  cronScheduleRoutes(api, s);
  app.route("/v1/namespaces/:ns", api);
  app.route("/", api);
  return app;
}
