/**
 * Opens a SQLite database with the settings every Tributary store relies on.
 *
 * - `journal_mode = WAL`: readers never block the writer, and a commit is one append to the WAL.
 * - `synchronous = NORMAL` (the default here): in WAL mode a commit is written to the WAL with
 *   `write()` before `COMMIT` returns, and fsync happens only at checkpoints. The data is then in the
 *   operating system's page cache, so a committed transaction survives the death of the process
 *   (kill -9, OOM, crash), which is the failure we design for; the database can never be corrupted.
 *   What it may lose is the last few commits on a power cut or kernel panic. `FULL` closes that gap
 *   at the cost of one fsync per commit (roughly 10–100x slower on the hot path), so it is an option.
 * - `busy_timeout`: another process holding the write lock makes us wait instead of failing.
 * - `foreign_keys = ON`: SQLite leaves it off by default; our cascades depend on it.
 * - `ignore_check_constraints = ON`: the schema's CHECKs are documentation here, not run. SQLite
 *   compiles a CHECK such as `status IN ('pending','running','succeeded','failed','cancelled')`
 *   (more than two words) into a temporary B-tree that it builds again on every execution of every
 *   INSERT or UPDATE that writes the column: eight times per trivial request, about 10 % of the
 *   store's CPU (bench/store-micro.ts; 23 % of its instructions under callgrind). The columns are written only from SQL literals
 *   and typed values (src/core/status.ts), and the PostgreSQL store runs the same contract suite
 *   with the same CHECKs on its test schemas (test/helpers/vocabulary-checks.ts; its production schemas
 *   drop them too, migration 012), so a write of a wrong word still fails a test.
 * - `temp_store = MEMORY`: a SAVEPOINT (a write transaction nested in an open one, or a write
 *   method run again after an undo: transaction.ts) or a statement that may abort half-way keeps
 *   the pages it changes in a statement journal. With the
 *   default, that journal spills to a temporary file past 64 KiB, so every page a method touched
 *   cost a `pwrite` (a third of the store's CPU per request in bench/store-micro.ts). In memory it
 *   costs a copy. The statement journal only undoes a failed method inside its transaction; crash
 *   safety is the WAL's, unchanged. Temporary tables and sorts stay small: every query is driven by
 *   an index or by one request's rows.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";

/** Options of {@link createSqliteStore}. */
export interface SqliteStoreOptions {
  /** `NORMAL` (default): durable across process crashes. `FULL`: also across power loss. */
  synchronous?: "NORMAL" | "FULL";
  /** How long a writer waits for another process's lock, in ms (default 5000). */
  busyTimeoutMs?: number;
  /** Writes of one event-loop tick share one commit (default true); see group-commit.ts. */
  groupCommit?: boolean;
}

/** True for the paths SQLite treats as a private in-memory database. */
export function isMemoryPath(path: string): boolean {
  return path === ":memory:" || path === "";
}

export function openDatabase(path: string, options: SqliteStoreOptions = {}): Database.Database {
  if (!isMemoryPath(path)) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    // WAL is refused for in-memory databases (they answer "memory"); that is fine.
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${options.synchronous === "FULL" ? "FULL" : "NORMAL"}`);
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    db.pragma("foreign_keys = ON");
    db.pragma("ignore_check_constraints = ON");
    db.pragma("temp_store = MEMORY");
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}
