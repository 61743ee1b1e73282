/**
 * Applies the PostgreSQL migrations of `migrations/index.ts` that a database has not seen yet.
 *
 * Invariants:
 * - Everything runs in one transaction holding a transaction-scoped advisory lock keyed on the
 *   schema, so several servers starting at once apply each step exactly once: the others wait,
 *   then find the work done. DDL is transactional in PostgreSQL, so a crash mid-way leaves the
 *   schema at its previous version, never half-migrated.
 * - A database whose version is ahead of this build is refused (`SchemaTooNewError`).
 * - Each version not yet recorded in `schema_migrations` is applied, in order, even when a higher
 *   one already is: numbers are reserved per feature and may land out of order during development
 *   (e.g. 008 before 007), and each step touches only its own tables, so order between them does
 *   not matter. A released build always ships a gap-free list.
 */
import { SchemaTooNewError } from "../shared/migrations.js";
import { MIGRATIONS, type Migration } from "./migrations/index.js";
import type { Sql } from "./connect.js";
import { transaction } from "./transaction.js";

/** Brings the schema to the latest version; returns the versions it applied (often none). */
export async function applyMigrations(
  sql: Sql,
  schema: string | undefined,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  migrations.forEach((m, i) => {
    if (i > 0 && m.version <= migrations[i - 1]!.version)
      throw new Error(`migration ${m.version} (${m.name}) is out of order`);
  });
  const known = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
  return transaction(sql, async (tx) => {
    // Keyed on the target schema: migrations of different schemas do not wait for each other.
    const [target] = await tx<
      { s: string }[]
    >`SELECT COALESCE(${schema ?? null}::text, current_schema(), 'public') AS s`;
    await tx`SELECT pg_advisory_xact_lock(hashtextextended(${"tributary.migrate:" + target!.s}, 0))`;
    // The schema name was checked by connect(); it cannot need quoting.
    if (schema !== undefined) await tx.unsafe(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await tx.unsafe(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version    integer PRIMARY KEY,
         name       text    NOT NULL,
         applied_at bigint  NOT NULL
       )`,
    );
    const done = new Set(
      (await tx<{ version: number }[]>`SELECT version FROM schema_migrations`).map((r) => r.version),
    );
    const at = Math.max(0, ...done);
    if (at > known) throw new SchemaTooNewError(at, known);
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await tx.unsafe(m.sql);
      await tx`INSERT INTO schema_migrations (version, name, applied_at) VALUES (${m.version}, ${m.name}, ${Date.now()})`;
      applied.push(m.version);
    }
    return applied;
  });
}
