/**
 * The PostgreSQL migrations, in order: plain SQL in numbered modules (modules rather than `.sql`
 * files so that they ship inside `dist/` with no copy step). Numbered per dialect: PostgreSQL's
 * version N need not match SQLite's version N.
 *
 * Invariant: append only. A shipped migration is never edited, renumbered or removed; the runner
 * records each applied version in `schema_migrations` and refuses a database that is ahead.
 */
import type { Migration } from "../../shared/migrations.js";
import { sql as init } from "./001-init.js";
import { sql as apiKeys } from "./002-api-keys.js";
import { sql as idempotencyInputHash } from "./003-idempotency-input-hash.js";
import { sql as cronSchedules } from "./004-cron-schedules.js";
import { sql as requestHeaders } from "./005-request-headers.js";
import { sql as attemptUsage } from "./006-attempt-usage.js";
import { sql as serverLeases } from "./007-server-leases.js";
import { sql as blobs } from "./008-blobs.js";
import { sql as capabilities } from "./009-capabilities.js";
import { sql as fenceRefusal } from "./010-fence-refusal.js";
import { sql as hotPathWrites } from "./011-hot-path-writes.js";
import { sql as limitedAttempts } from "./012-limited-attempts.js";
import { sql as requestDeleteTrigger } from "./013-request-delete-trigger.js";
import { sql as dropRequestsByApp } from "./014-drop-requests-by-app.js";
import { sql as requestFinishedBy } from "./015-request-finished-by.js";

export type { Migration };

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "init", sql: init },
  { version: 2, name: "api-keys", sql: apiKeys },
  { version: 3, name: "idempotency-input-hash", sql: idempotencyInputHash },
  { version: 4, name: "cron-schedules", sql: cronSchedules },
  { version: 5, name: "request-headers", sql: requestHeaders },
  { version: 6, name: "attempt-usage", sql: attemptUsage },
  { version: 7, name: "server-leases", sql: serverLeases },
  { version: 8, name: "blobs", sql: blobs },
  { version: 9, name: "capabilities", sql: capabilities },
  { version: 10, name: "fence-refusal", sql: fenceRefusal },
  { version: 11, name: "hot-path-writes", sql: hotPathWrites },
  { version: 12, name: "limited-attempts", sql: limitedAttempts },
  { version: 13, name: "request-delete-trigger", sql: requestDeleteTrigger },
  { version: 14, name: "drop-requests-by-app", sql: dropRequestsByApp },
  { version: 15, name: "request-finished-by", sql: requestFinishedBy },
];
