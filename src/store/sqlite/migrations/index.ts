/**
 * The SQLite migrations, in order. Each is plain SQL in a numbered module (modules rather than
 * `.sql` files so that they ship inside `dist/` with no copy step).
 *
 * Invariant: append only. A shipped migration is never edited, renumbered or removed; the runner
 * records each applied version in `schema_migrations` and refuses a database that is ahead.
 */
import { sql as init } from "./001-init.js";
import { sql as apiKeys } from "./002-api-keys.js";
import type { Migration } from "../../shared/migrations.js";
import { sql as idempotencyInputHash } from "./003-idempotency-input-hash.js";
import { sql as cronSchedules } from "./004-cron-schedules.js";
import { sql as requestHeaders } from "./005-request-headers.js";
import { sql as attemptUsage } from "./006-attempt-usage.js";
import { sql as serverLeases } from "./007-server-leases.js";
import { sql as dropOwnerIndex } from "./008-drop-owner-index.js";
import { sql as capabilities } from "./009-capabilities.js";
import { sql as unreadIndexes } from "./011-unread-indexes.js";
import { sql as finishedByApp } from "./012-finished-by-app.js";

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "init", sql: init },
  { version: 2, name: "api-keys", sql: apiKeys },
  { version: 3, name: "idempotency-input-hash", sql: idempotencyInputHash },
  { version: 4, name: "cron-schedules", sql: cronSchedules },
  { version: 5, name: "request-headers", sql: requestHeaders },
  { version: 6, name: "attempt-usage", sql: attemptUsage },
  { version: 7, name: "server-leases", sql: serverLeases },
  { version: 8, name: "drop-owner-index", sql: dropOwnerIndex },
  { version: 9, name: "capabilities", sql: capabilities },
  { version: 11, name: "unread-indexes", sql: unreadIndexes },
  { version: 12, name: "finished-by-app", sql: finishedByApp },
];
