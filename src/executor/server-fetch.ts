/**
 * GETs from the executor's current server on its internal routes, with the executor token.
 * Invariant: a non-2xx answer is an error naming what was fetched and the status.
 */

/**
 * @example const res = await serverGet(server(), "/v1/internal/bundles/k", token, "bundle k");
 */
export function serverGet(server: string, path: string, token: string | undefined, what: string): Promise<Response> {
  return get(server, path, token, what, false) as Promise<Response>;
}

/**
 * Like {@link serverGet}, but a 404 answers null (for what may not exist, e.g. a build context).
 * @example const res = await serverGetIfAny(server(), "/v1/internal/bundles/k-context", token, "build context");
 */
export function serverGetIfAny(
  server: string,
  path: string,
  token: string | undefined,
  what: string,
): Promise<Response | null> {
  return get(server, path, token, what, true);
}

async function get(
  server: string,
  path: string,
  token: string | undefined,
  what: string,
  missingOk: boolean,
): Promise<Response | null> {
  const res = await fetch(`${server.replace(/\/$/, "")}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  if (missingOk && res.status === 404) {
    await res.body?.cancel().catch(() => {});
    return null;
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    throw new Error(`${what}: the server answered ${res.status}`);
  }
  return res;
}
