/**
 * GETs from the executor's current server on its internal routes, with the executor token.
 * Invariant: a non-2xx answer is an error naming what was fetched and the status.
 */

/**
 * @example const res = await serverGet(server(), "/v1/internal/bundles/k", token, "bundle k");
 */
export async function serverGet(
  server: string,
  path: string,
  token: string | undefined,
  what: string,
): Promise<Response> {
  const res = await fetch(`${server.replace(/\/$/, "")}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    throw new Error(`${what}: the server answered ${res.status}`);
  }
  return res;
}
