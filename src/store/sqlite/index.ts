/**
 * The embedded SQLite Store (the default for `tributary dev` and single-server deployments).
 *
 * The schema is migrated synchronously when the store opens, then every statement is prepared
 * once; no method does schema work or re-prepares SQL. better-sqlite3 is synchronous, so each
 * method runs to completion (one transaction) before its promise settles; multi-statement writes
 * use `BEGIN IMMEDIATE` so that a second process on the same file waits for the lock
 * (busy_timeout) instead of failing half-way through a read-then-write.
 */
import type { Store } from "../types.js";
import { apiKeyMethods } from "./api-keys.js";
import { cronScheduleMethods } from "./cron-schedules.js";
import { applicationMethods } from "./applications.js";
import { attemptMethods } from "./attempts.js";
import { callMethods } from "./calls.js";
import { clusterMethods } from "./cluster.js";
import { createEventLog } from "./events.js";
import { applyMigrations } from "./migrate.js";
import { isMemoryPath, openDatabase, type SqliteStoreOptions } from "./open-db.js";
import { requestDataMethods } from "./request-data.js";
import { requestMethods } from "./requests.js";
import { serverMethods } from "./servers.js";
import { prepareWrites } from "./writes.js";
import { withGroupCommit } from "./group-commit.js";
import { startCheckpointer, type Checkpointer } from "./checkpointer.js";
import { writeTransaction } from "./transaction.js";

export type { SqliteStoreOptions } from "./open-db.js";
export { SchemaTooNewError } from "../shared/migrations.js";
export { UnknownRequestError } from "../shared/events.js";

/**
 * Opens (creating if needed) a SQLite store at `path`; `":memory:"` gives a private in-memory one.
 *
 * @example
 * const store = createSqliteStore(".tributary/tributary.db");
 * const version = await store.createApplicationVersion("default", "greet", manifest, "bundles/greet/1", Date.now());
 * await store.close();
 */
export function createSqliteStore(path: string, options: SqliteStoreOptions = {}): Store {
  const db = openDatabase(path, options);
  let checkpointer: Checkpointer | null = null;
  try {
    applyMigrations(db);
    const events = createEventLog(db);
    const writes = prepareWrites(db);
    const append = writeTransaction(db, (requestId: string, evs: Parameters<typeof events.append>[1]) =>
      events.append(requestId, evs),
    );
    const store: Store = {
      // better-sqlite3 is synchronous: each method's statements run before it returns.
      appliedAtCall: true,
      async migrate() {
        // Already applied at open; running it again is a no-op that re-checks the schema version.
        applyMigrations(db);
      },
      async close() {
        // The worker's connection first: the store's, closing last, checkpoints and removes the WAL.
        await checkpointer?.close();
        if (db.open) db.close();
      },
      ...applicationMethods(db),
      ...requestMethods(db, events, writes),
      ...callMethods(db, events, writes),
      ...attemptMethods(db, events, writes),
      async appendEvents(requestId, evs) {
        return append(requestId, evs);
      },
      async listEvents(requestId, afterSeq, limit) {
        return events.list(requestId, afterSeq, limit);
      },
      async lastEvent(requestId, kind) {
        return events.last(requestId, kind);
      },
      ...requestDataMethods(db),
      ...clusterMethods(db),
      ...apiKeyMethods(db),
      ...cronScheduleMethods(db),
      ...serverMethods(db),
    };
    if (options.groupCommit === false) return store;
    // Checkpoints leave the committing thread (see checkpointer.ts); a memory database has no WAL.
    const cp = isMemoryPath(path) ? null : startCheckpointer(db, path);
    checkpointer = cp;
    return withGroupCommit(db, store, cp ? () => cp.committed() : undefined);
  } catch (e) {
    db.close();
    throw e;
  }
}
