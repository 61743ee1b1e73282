/**
 * Whether an error of a store method says the database could not be reached, so the same write may
 * succeed once it is back: the API answers 503 `store_unavailable` (server/http-error.ts) and the
 * engine reloads the request the write was for (engine/reload.ts). Any other error is the write's
 * own (a bug, a refused value) and would fail the same way again.
 */
/**
 * An error that says the database cannot be reached (docs/operations.md, "When something goes
 * away"): a refused, reset or timed-out connection (a socket's system error, postgres.js's
 * `CONNECTION_*` and `CONNECT_TIMEOUT`), PostgreSQL shutting down or starting (`57P01`–`57P03`), or
 * no pool connection in time (store/postgres/connect.ts). A client may retry it elsewhere or later.
 *
 * A socket code counts only on a system error (one with a `syscall`: connect, read, write): the
 * client's own connection reset mid-upload is Node's `aborted` error, ECONNRESET without a syscall,
 * and is not the database's.
 *
 * @example storeUnreachable(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED", syscall: "connect" })) // true
 */
export function storeUnreachable(e: unknown): boolean {
  const { code, syscall } = (e ?? {}) as { code?: unknown; syscall?: unknown };
  if (typeof code === "string") {
    if (DATABASE.has(code) || code.startsWith("CONNECTION_")) return true;
    if (SOCKET.has(code) && typeof syscall === "string") return true;
  }
  return e instanceof Error && e.message.startsWith("no PostgreSQL connection within");
}
const SOCKET = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPIPE"]);
const DATABASE = new Set([
  "CONNECT_TIMEOUT",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
]);
