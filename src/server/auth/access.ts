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
 * Executor routes. With an executor token configured only it is accepted; without one, a server
 * that has keys accepts an admin key (so a secured server never lets an anonymous executor in).
 */
export function mayServeAsExecutor(p: Principal, executorTokenSet: boolean): void {
  if (p.kind === "executor") return;
  if (!executorTokenSet && p.kind === "admin") return;
  throw forbidden(executorTokenSet ? "executor routes need the executor token" : "executor routes need an admin key");
}
