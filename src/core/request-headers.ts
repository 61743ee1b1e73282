/**
 * `ctx.headers`: the headers of the invoke that started a request, as functions see them.
 *
 * Invariants:
 * - Credentials never reach a function: `authorization`, `cookie` and `proxy-authorization` are
 *   removed where the headers enter (the server's invoke route, `runLocal`) and again here, so an
 *   older server or a hand-made run message cannot hand them over either.
 * - The object is read-only: `set`, `append` and `delete` throw, so one function cannot change what
 *   another of the same request reads.
 */
import { SDKUsageError } from "./errors.js";

/** Header names that are credentials: never stored with a request, never shown to a function. */
export const CREDENTIAL_HEADERS: readonly string[] = ["authorization", "cookie", "proxy-authorization"];

/** `[name, value]` pairs (lower-case names) of `init`, without credentials. */
export function headerPairs(
  init: Iterable<readonly [string, string]> | Record<string, string> | undefined,
): [string, string][] {
  if (init === undefined) return [];
  const entries = Symbol.iterator in init ? [...(init as Iterable<readonly [string, string]>)] : Object.entries(init);
  return entries
    .map(([k, v]): [string, string] => [k.toLowerCase(), v])
    .filter(([k]) => !CREDENTIAL_HEADERS.includes(k));
}

function readOnly(): never {
  throw new SDKUsageError("ctx.headers is read-only");
}

/**
 * A read-only WHATWG `Headers` of `pairs`, without credentials.
 *
 * @example
 * readonlyHeaders([["x-tenant", "acme"], ["authorization", "Bearer k"]]).get("authorization"); // null
 */
export function readonlyHeaders(pairs: readonly (readonly [string, string])[]): Headers {
  const h = new Headers(headerPairs(pairs));
  // Own properties shadow the prototype's mutators; each read of ctx.headers is a fresh copy, so
  // even a caller that reaches Headers.prototype.set changes nothing anyone else sees.
  Object.defineProperties(h, { set: { value: readOnly }, append: { value: readOnly }, delete: { value: readOnly } });
  return h;
}
