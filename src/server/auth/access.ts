/**
 * What each principal may do (DESIGN.md §4 "Auth."): 401 for a missing or invalid credential, 403
 * for a valid one without access. The checks throw `ApiError`s; routes call them before any work.
 */
import { ApiError } from "../http-error.js";
import type { Principal } from "./credentials.js";

export const unauthorized = (message: string): ApiError => new ApiError(401, "unauthorized", message);
export const forbidden = (message: string): ApiError => new ApiError(403, "forbidden", message);

/** 401 unless the credential resolved. */
export function authenticated(p: Principal | null, hasHeader: boolean): Principal {
  if (p !== null) return p;
  throw unauthorized(hasHeader ? "the API key is not valid" : "missing 'Authorization: Bearer <api key>'");
}

/** A user route of `namespace` (null: a route spanning namespaces, such as /metrics). */
export function mayUseNamespace(p: Principal, namespace: string | null): void {
  if (p.kind === "executor") throw forbidden("the executor token cannot call user routes");
  if (p.kind === "admin" || p.namespaces === null) return;
  if (namespace === null)
    throw forbidden(
      "this key is limited to namespaces " + p.namespaces.join(", ") + "; this route spans every namespace",
    );
  if (!p.namespaces.includes(namespace)) throw forbidden(`this key may not use namespace '${namespace}'`);
}

/** Key management. */
export function mayManageKeys(p: Principal): void {
  if (p.kind !== "admin") throw forbidden("only admin keys (--api-key) manage keys");
}

/**
 * Executor routes (the executor's WebSocket and its `/v1/internal` fetches). With an executor token
 * configured only it is accepted; without one, a server that has keys accepts an admin key (so a
 * secured server never lets an anonymous executor in).
 *
 * A 401 (no credential, or one that is not valid) is generic: anyone can provoke it, so it must not
 * tell which of the two modes the server is in. The executor knows what it sent and where from, and
 * says what to fix itself (executor/connection.ts). A 403 answers a caller that holds a valid API
 * key, who may know the configuration: it says what was presented and what the server expects
 * instead. Neither echoes the credential.
 *
 * @example
 * mayServeAsExecutor(await creds.identify(header), header !== undefined, creds.executorTokenSet);
 */
export function mayServeAsExecutor(p: Principal | null, hasHeader: boolean, executorTokenSet: boolean): Principal {
  if (p !== null && (p.kind === "executor" || (!executorTokenSet && p.kind === "admin"))) return p;
  if (!hasHeader) throw unauthorized("missing 'Authorization: Bearer <executor token>'");
  if (p === null) throw unauthorized("the executor token is not valid");
  const expected = executorTokenSet
    ? "the server's executor token (its --executor-token or TRIBUTARY_EXECUTOR_TOKEN)"
    : "one of the server's admin keys (its --api-key or TRIBUTARY_API_KEYS, as it has no --executor-token)";
  const fix = "start the executor with that value in --token or TRIBUTARY_EXECUTOR_TOKEN";
  const what = p.kind === "admin" ? "an admin key" : "an API key created through /v1/keys";
  throw forbidden(`this server rejected the executor token: it is ${what}, not ${expected}; ${fix}`);
}
