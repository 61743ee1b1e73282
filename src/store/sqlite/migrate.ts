/**
 * Applies the numbered migrations of `migrations/index.ts` that a database has not seen yet.
 *
 * Invariants:
 * - Each migration runs in its own IMMEDIATE transaction together with its `schema_migrations`
 *   row, so a crash mid-way leaves the database at the previous version, never half-migrated.
 * - IMMEDIATE takes the write lock before reading the current version: two processes opening the
 *   same file at once cannot both apply the same step.
 * - A database whose version is ahead of this build is refused: its schema may mean things this
 *   code does not know.
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
  const current = db.prepare<[], { v: number | null }>("SELECT MAX(version) AS v FROM schema_migrations");
  const record = db.prepare<[number, string, number]>(
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
  );
  const known = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
  const applied: number[] = [];

  const step = db.transaction((m: Migration): boolean => {
    const at = current.get()?.v ?? 0;
    if (at > known) throw new SchemaTooNewError(at, known);
    if (m.version <= at) return false; // another process got here first
    if (m.version !== at + 1) throw new Error(`migration ${m.version} (${m.name}) cannot follow version ${at}`);
    db.exec(m.sql);
    record.run(m.version, m.name, Date.now());
    return true;
  });

  const at = current.get()?.v ?? 0;
  if (at > known) throw new SchemaTooNewError(at, known);
  for (const m of migrations) {
    if (m.version <= at) continue;
    if (step.immediate(m)) applied.push(m.version);
  }
  return applied;
}
