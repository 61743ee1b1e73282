/**
 * Applies the numbered migrations of `migrations/index.ts` that a database has not seen yet.
 *
 * Invariants:
 * - Each migration runs in its own IMMEDIATE transaction together with its `schema_migrations`
 *   row, so a crash mid-way leaves the database at the previous version, never half-migrated.
 * - IMMEDIATE takes the write lock before reading what is applied: two processes opening the
 *   same file at once cannot both apply the same step.
 * - Every known step not yet recorded is applied, in ascending order. Numbers are reserved ahead
 *   per change, so a step may ship before a lower-numbered one: the lower one is applied when it
 *   arrives (steps are independent, additive changes).
 * - A database that records a step this build does not know is refused: its schema may mean
 *   things this code does not know.
 */
import type Database from "better-sqlite3";
import { SchemaTooNewError, type Migration } from "../shared/migrations.js";
import { MIGRATIONS } from "./migrations/index.js";

/** Brings `db` to the latest schema version; returns the versions it applied (often none). */
export function applyMigrations(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec(
    `CREATE TABLE IF NOT EXISTS schema_migrations (
       version    INTEGER PRIMARY KEY,
       name       TEXT    NOT NULL,
       applied_at INTEGER NOT NULL
     )`,
  );
  const applied = db.prepare<[], { version: number }>("SELECT version FROM schema_migrations");
  const isApplied = db.prepare<[number], { version: number }>(
    "SELECT version FROM schema_migrations WHERE version = ?",
  );
  const record = db.prepare<[number, string, number]>(
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
  );
  const known = new Set(migrations.map((m) => m.version));
  const latest = Math.max(0, ...known);
  const checkNotNewer = (): void => {
    const unknown = applied.all().find((r) => !known.has(r.version));
    if (unknown) throw new SchemaTooNewError(unknown.version, latest);
  };
  const done: number[] = [];

  const step = db.transaction((m: Migration): boolean => {
    checkNotNewer();
    if (isApplied.get(m.version)) return false; // another process got here first
    db.exec(m.sql);
    record.run(m.version, m.name, Date.now());
    return true;
  });

  checkNotNewer();
  const have = new Set(applied.all().map((r) => r.version));
  for (const m of [...migrations].sort((x, y) => x.version - y.version)) {
    if (have.has(m.version)) continue;
    if (step.immediate(m)) done.push(m.version);
  }
  return done;
}
