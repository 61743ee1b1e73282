/**
 * Whether an error of a store method says the database could not be reached, so the same write may
 * succeed once it is back: the API answers 503 `store_unavailable` (server/http-error.ts) and the
 * engine reloads the request the write was for (engine/reload.ts). So does an error of a database
 * that is reachable but cannot take the write for now ({@link storeBusy}). Any other error is the
 * write's own (a bug, a refused value) and would fail the same way again.
 *
 * The one list of what says a connection to the database dropped or could not be made
 * (`connectionLost`): the PostgreSQL store's transactions use it too, to tell a connection they
 * must no longer use (postgres/transaction.ts `isLost`).
 */

/**
 * An error that says the database cannot be reached (docs/operations.md, "When something goes
 * away"): the connection to it dropped or could not be made (`connectionLost`), PostgreSQL shutting
 * down or starting (`57P01`–`57P03`), or no pool connection in time (store/postgres/connect.ts). A
 * client may retry it elsewhere or later.
 *
 * @example storeUnreachable(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED", syscall: "connect" })) // true
 */
export function storeUnreachable(e: unknown): boolean {
  if (connectionLost(e)) return true;
  const { code } = (e ?? {}) as { code?: unknown };
  if (typeof code === "string" && SERVER_UNAVAILABLE.has(code)) return true;
  return e instanceof Error && e.message.startsWith("no PostgreSQL connection within");
}

/**
 * An error that says the database cannot take the write for now, though it can be reached: the
 * same write may succeed later, so it is answered and retried as {@link storeUnreachable} is (503;
 * the request reloaded once the store takes writes again), never counted as the write's own fault.
 * PostgreSQL: a connection exception (class 08), a transaction rolled back for a conflict
 * (serialization failure, deadlock: 40), insufficient resources (disk full, out of memory, too many
 * connections: 53), a lock not available (55P03), operator intervention (a shutdown, a crash
 * restart: 57, but a statement timeout), a system or I/O error (58). SQLite: busy or locked, disk full, an I/O error, out
 * of memory, the file not openable.
 *
 * @example storeBusy(Object.assign(new Error("sorry, too many clients already"), { code: "53300" })) // true
 */
export function storeBusy(e: unknown): boolean {
  const { code } = (e ?? {}) as { code?: unknown };
  if (typeof code !== "string") return false;
  if (/^[0-9A-Z]{5}$/.test(code)) return PG_TRANSIENT.test(code);
  return SQLITE_TRANSIENT.test(code);
}

/** {@link storeUnreachable} or {@link storeBusy}: a write that may succeed once the database recovers. */
export function storeTransient(e: unknown): boolean {
  return storeUnreachable(e) || storeBusy(e);
}

/**
 * An error that says the connection to the database dropped or could not be made: a refused, reset
 * or timed-out connection (a socket's system error), or postgres.js's own (`CONNECTION_CLOSED`,
 * `CONNECTION_ENDED`, `CONNECTION_DESTROYED`, `CONNECT_TIMEOUT`).
 *
 * A socket code counts only on a system error (one with a `syscall`: connect, read, write): the
 * client's own connection reset mid-upload is Node's `aborted` error, ECONNRESET without a syscall,
 * and is not the database's.
 *
 * @example connectionLost(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET", syscall: "read" })) // true
 */
export function connectionLost(e: unknown): boolean {
  const { code, syscall } = (e ?? {}) as { code?: unknown; syscall?: unknown };
  if (typeof code !== "string") return false;
  if (code.startsWith("CONNECTION_") || code === "CONNECT_TIMEOUT") return true;
  return SOCKET.has(code) && typeof syscall === "string";
}

// ENOTFOUND and EAI_AGAIN (syscall getaddrinfo): the database's host name did not resolve, for now.
const SOCKET = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
]);
// Not 57014 (a statement cancelled by its timeout): the same statement would time out again.
const PG_TRANSIENT = /^(08|40|53|58)|^57(?!014)|^55P03$/;
const SQLITE_TRANSIENT = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|NOMEM|CANTOPEN|PROTOCOL)/;
const SERVER_UNAVAILABLE = new Set([
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
]);
