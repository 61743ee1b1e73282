/**
 * The auth middleware of each route group (DESIGN.md §4 "Auth."). With no bootstrap key the server
 * serves everyone (it refused to start on a non-loopback address, see `bind-policy.ts`); with keys,
 * every group but `/healthz` and the `/ui` page shell checks the bearer credential before its
 * handler runs, so a refused request does no work and stores nothing.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { Engine } from "../../engine/index.js";
import { ApiError } from "../http-error.js";
import { authenticated, mayManageKeys, mayServeAsExecutor, mayUseNamespace } from "./access.js";
import type { Credentials, Principal } from "./credentials.js";

/** `POST /applications/{app}` under either mount; the app name as it appears in the path. */
const INVOKE_PATH = /^(?:\/v1\/namespaces\/[^/]+)?\/applications\/([A-Za-z_][A-Za-z0-9_]{0,127})$/;

export interface Guards {
  /** Namespaced user routes; invokes of public applications pass without a credential. */
  user: MiddlewareHandler;
  /** User routes spanning every namespace (`/metrics`): admin keys and unlimited keys. */
  spanning: MiddlewareHandler;
  /** Key management: admin keys only (and only on a server that has keys). */
  admin: MiddlewareHandler;
  /** Executor routes. */
  executor: MiddlewareHandler;
}

async function principalOf(creds: Credentials, c: Context): Promise<Principal> {
  const header = c.req.header("authorization");
  return authenticated(await creds.identify(header), header !== undefined);
}

/** True when the request invokes an application deployed with `allow: ["unauthenticated_requests"]`. */
async function isPublicInvoke(engine: Engine, r: UserRequest): Promise<boolean> {
  if (r.method !== "POST") return false;
  const m = INVOKE_PATH.exec(r.path);
  if (!m) return false;
  let app;
  try {
    app = await engine.application(r.namespace ?? "default", m[1]!);
  } catch {
    return false; // a hostile namespace: not public, so the caller gets 401 like any other
  }
  const entry = app?.manifest.applications.find((a) => a.name === m[1]);
  return entry?.spec.allow?.includes("unauthenticated_requests") ?? false;
}

/** What the user guard looks at in a request. */
export interface UserRequest {
  method: string;
  /** The URL's path (no query). */
  path: string;
  /** The `{ns}` path segment; undefined on the default namespace's short paths. */
  namespace: string | undefined;
  authorization: string | undefined;
}

/**
 * Throws the 401/403 `ApiError` for a namespaced user route the caller may not use; returns when
 * it may. Shared by the Hono middleware and the invoke fast path (fast-invoke.ts).
 */
export async function checkUserAccess(creds: Credentials, engine: Engine, r: UserRequest): Promise<void> {
  if (!creds.keysRequired) return;
  const p = await creds.identify(r.authorization);
  if (p === null && (await isPublicInvoke(engine, r))) return;
  mayUseNamespace(authenticated(p, r.authorization !== undefined), r.namespace ?? "default");
}

/**
 * Builds the middleware of every route group over one server's credentials.
 *
 * @example
 * const g = createGuards(new Credentials(store, { apiKeys: ["k"], executorToken: null }), engine);
 * api.use("*", g.user);
 */
export function createGuards(creds: Credentials, engine: Engine): Guards {
  return {
    async user(c, next) {
      const authorization = c.req.header("authorization");
      await checkUserAccess(creds, engine, {
        method: c.req.method,
        path: c.req.path,
        namespace: c.req.param("ns"),
        authorization,
      });
      return next();
    },
    async spanning(c, next) {
      if (!creds.keysRequired) return next();
      mayUseNamespace(await principalOf(creds, c), null);
      return next();
    },
    async admin(c, next) {
      if (!creds.keysRequired)
        throw new ApiError(
          409,
          "no_api_keys",
          "this server has no API keys: start it with --api-key (or TRIBUTARY_API_KEYS) to manage keys",
        );
      mayManageKeys(await principalOf(creds, c));
      return next();
    },
    async executor(c, next) {
      const refused = await executorRefusal(creds, c.req.header("authorization"));
      if (refused) throw refused;
      return next();
    },
  };
}

/**
 * Why an executor presenting `header` is refused (401 or 403), or null when it may serve. Shared by
 * the executor HTTP routes and the executor WebSocket.
 */
export async function executorRefusal(creds: Credentials, header: string | undefined): Promise<ApiError | null> {
  if (!creds.keysRequired && !creds.executorTokenSet) return null;
  try {
    mayServeAsExecutor(await creds.identify(header), header !== undefined, creds.executorTokenSet);
    return null;
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
}
