/**
 * Transactions on a reserved connection that survive losing it. Every multi-statement write of the
 * PostgreSQL store runs here (`transaction`) or in a group commit batch (group-commit.ts, through
 * `onReserved`), never in postgres.js's `sql.begin`.
 *
 * Why: postgres.js 3.4.9 puts a connection that died inside a transaction (backend terminated,
 * PostgreSQL restarted, socket reset) back in the pool as open, and the next query on it, ours or
 * any caller's, throws from a timer (TypeError: Cannot read properties of null (reading 'write')),
 * uncaught: the process dies. Its `sql.begin` does so too, by itself: it sends ROLLBACK on the dead
 * connection (porsager/postgres#1208, #1133; fixes proposed in #1209 and #1215, not in 3.4.9). For a
 * `reserve` that never settles, see connect.ts (#1195).
 *
 * Invariants:
 * - A lost connection (`isLost`) is sent nothing more (no ROLLBACK, no COMMIT) and never released:
 *   it stays among the pool's closed connections, which reconnect on demand; `heal` then reopens
 *   them with plain queries.
 * - `fn` uses only its `tx` and does not catch a lost connection's error to throw another: the
 *   error `fn` rejects with is how a lost connection is told from `fn`'s own refusal.
 */
import { connectionLost } from "../unreachable.js";
import type { Sql, Tx } from "./connect.js";

/**
 * Runs `fn` in BEGIN … COMMIT on a connection of its own and resolves with its result once
 * committed. If `fn` throws, the transaction is rolled back and the error rethrown. Nothing is
 * retried: after a failed COMMIT nobody can tell whether it committed.
 *
 * @example
 * const version = await transaction(sql, async (tx) => {
 *   await tx`SELECT pg_advisory_xact_lock(${key})`; // held until COMMIT or ROLLBACK
 *   return (await tx`INSERT … RETURNING version`)[0].version;
 * });
 */
export function transaction<T>(sql: Sql, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return onReserved(sql, async (conn) => {
    await conn`BEGIN`;
    let result: T;
    try {
      result = await fn(conn);
    } catch (e) {
      if (!isLost(e)) await conn`ROLLBACK`;
      throw e;
    }
    await conn`COMMIT`;
    return result;
  });
}

/**
 * Runs `fn` on a reserved connection, then releases it, unless it was lost (`fn` rejected with an
 * `isLost` error): then it is kept from the pool and the pool is healed before this settles.
 */
export async function onReserved<T>(sql: Sql, fn: (conn: Tx) => Promise<T>): Promise<T> {
  const conn = await sql.reserve();
  let lost = false;
  try {
    return await fn(conn);
  } catch (e) {
    lost = isLost(e);
    throw e;
  } finally {
    if (lost) await heal(sql);
    else conn.release();
  }
}

/**
 * After a reserved connection was lost: one `SELECT 1` per connection of the pool, so that every
 * closed connection is opened again by a plain query. postgres.js (3.4.9) keeps a FATAL error that
 * arrived while a query was active (a terminated backend, a restart) and hands it to the first
 * query after the reconnection; were that a `reserve`, its request would stay queued as well, and
 * the connection, opened later, would go to that settled request: lost to the pool for good (a pool
 * of one then hangs). A plain query just fails with it. Settled when they all answered or failed
 * (after the connect timeout, while PostgreSQL is down).
 */
async function heal(sql: Sql): Promise<void> {
  const max = (sql.options as { max?: number }).max ?? 1;
  await Promise.allSettled(Array.from({ length: max }, () => sql`SELECT 1`.execute()));
}

/**
 * True for an error that closed the connection: the connection dropped or could not be made again
 * (`connectionLost`, the list the engine also uses to tell the database away), or PostgreSQL's
 * FATAL (e.g. the backend was terminated; also an authentication failure, which is not the database
 * being away, but closes the connection all the same). Such a reserved connection MUST NOT be sent
 * anything more nor released (see the header).
 */
export function isLost(e: unknown): boolean {
  const { severity } = (e ?? {}) as { severity?: unknown };
  return severity === "FATAL" || severity === "PANIC" || connectionLost(e);
}
