/**
 * The PostgreSQL Store (`--store postgres://…`, docs/operations.md).
 *
 * Every method is one transaction (or part of one): the state transitions of the hot path (requests,
 * calls, attempts, events) go through group commit (group-commit.ts), which runs the transitions
 * issued together in one transaction and settles each only after its COMMIT; other multi-statement
 * methods run in `transaction` (transaction.ts), which survives a lost connection; single
 * statements are their own transaction. Transitions are CAS (`UPDATE … WHERE status = … RETURNING`)
 * under READ COMMITTED: a concurrent writer of the same row waits for the first to commit,
 * re-checks the WHERE clause, and loses cleanly (null/false). Lock
 * order (attempt → call → request) rules out deadlocks between single transitions; a batch that
 * deadlocks with another server's batch is run again, job by job.
 *
 * `migrate()` must run before the first use (the server and `openStore` do it).
 */
import type { Store } from "../types.js";
import { apiKeyMethods } from "./api-keys.js";
import { cronScheduleMethods } from "./cron-schedules.js";
import { applicationMethods } from "./applications.js";
import { attemptMethods } from "./attempts.js";
import { callMethods } from "./calls.js";
import { clusterMethods } from "./cluster.js";
import { connect, type PostgresStoreOptions } from "./connect.js";
import { createFusion } from "./fusion.js";
import { groupCommit } from "./group-commit.js";
import { appendEvents, lastEvent, listEvents } from "./events.js";
import { hintChannel } from "./hints.js";
import { applyMigrations } from "./migrate.js";
import { requestDataMethods } from "./request-data.js";
import { requestMethods } from "./requests.js";
import { serverMethods } from "./servers.js";

export type { PostgresStoreOptions } from "./connect.js";

/**
 * Creates a store on the PostgreSQL database at `url` (connections open lazily, on first use).
 *
 * @example
 * const store = createPostgresStore("postgres://tributary@db:5432/tributary", { schema: "prod" });
 * await store.migrate();
 * const version = await store.createApplicationVersion("default", "greet", manifest, "bundles/greet/1", Date.now());
 * await store.close();
 */
export function createPostgresStore(url: string, options: PostgresStoreOptions = {}): Store {
  const sql = connect(url, options);
  const begin = groupCommit(sql);
  // A request's creation and its root call's first start, issued together, fused (fusion.ts).
  const fusion = createFusion(options.serverId);
  return {
    // Group commit applies writes in issue order (group-commit.ts): a call's creation and its first
    // attempt's start share one transaction when issued together.
    appliedAtCall: true,
    async migrate() {
      await applyMigrations(sql, options.schema);
    },
    async close() {
      // Lets running queries finish, then closes every connection of the pool.
      await sql.end({ timeout: 5 });
    },
    ...applicationMethods(sql),
    ...requestMethods(sql, begin, fusion),
    ...callMethods(sql, begin, fusion),
    ...attemptMethods(sql, begin, fusion),
    async appendEvents(requestId, evs) {
      fusion.seal(requestId);
      // One statement; a refusal writes nothing (it throws after a statement that inserted nothing).
      return begin.one((tx) => appendEvents(tx, requestId, evs));
    },
    async listEvents(requestId, afterSeq, limit) {
      return listEvents(sql, requestId, afterSeq, limit);
    },
    async lastEvent(requestId, kind) {
      return lastEvent(sql, requestId, kind);
    },
    ...requestDataMethods(sql),
    ...clusterMethods(sql),
    ...apiKeyMethods(sql),
    ...cronScheduleMethods(sql),
    ...serverMethods(sql),
    hints: hintChannel(sql, begin, options.schema),
  };
}
