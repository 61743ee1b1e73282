/** The migration runner: ordered, recorded, idempotent, and refusing a database from the future. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import Database from "better-sqlite3";
import { createSqliteStore } from "./index.js";
import { SchemaTooNewError } from "../shared/migrations.js";
import { applyMigrations } from "./migrate.js";
import { MIGRATIONS } from "./migrations/index.js";
import { openDatabase } from "./open-db.js";

const root = mkdtempSync(join(tmpdir(), "tributary-sqlite-migrate-"));
after(() => rmSync(root, { recursive: true, force: true }));

test("migrations are numbered from 1, unique and ascending", () => {
  const versions = MIGRATIONS.map((m) => m.version);
  assert.equal(versions[0], 1);
  assert.deepEqual(
    versions,
    [...new Set(versions)].sort((a, b) => a - b),
  );
});

test("opening a store applies every migration once and records it", { timeout: 10_000 }, async () => {
  const path = join(root, "fresh.db");
  const store = createSqliteStore(path);
  await store.migrate();
  await store.close();
  await createSqliteStore(path).close(); // reopening applies nothing twice

  const db = new Database(path, { readonly: true });
  try {
    const rows = db.prepare("SELECT version, name FROM schema_migrations ORDER BY version").all();
    assert.deepEqual(
      rows,
      MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
    );
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map(
      (t) => t.name,
    );
    for (const t of [
      "applications",
      "requests",
      "function_calls",
      "attempts",
      "events",
      "state",
      "metrics",
      "logs",
      "executors",
      "secrets",
    ]) {
      assert.ok(tables.includes(t), `table ${t}`);
    }
    assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
  } finally {
    db.close();
  }
});

test("pragmas: WAL, synchronous NORMAL by default, foreign keys on, busy timeout set, journals in memory", () => {
  const db = openDatabase(join(root, "pragmas.db"));
  try {
    assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
    assert.equal(db.pragma("synchronous", { simple: true }), 1); // NORMAL
    assert.equal(db.pragma("foreign_keys", { simple: true }), 1);
    assert.equal(db.pragma("temp_store", { simple: true }), 2); // MEMORY
    assert.equal(db.pragma("ignore_check_constraints", { simple: true }), 1);
    assert.ok((db.pragma("busy_timeout", { simple: true }) as number) > 0);
  } finally {
    db.close();
  }
  const full = openDatabase(join(root, "full.db"), { synchronous: "FULL" });
  assert.equal(full.pragma("synchronous", { simple: true }), 2);
  full.close();
});

test("later migrations apply in order on top of earlier ones", () => {
  const db = new Database(":memory:");
  try {
    const steps = [
      { version: 1, name: "one", sql: "CREATE TABLE t (a INTEGER)" },
      { version: 2, name: "two", sql: "ALTER TABLE t ADD COLUMN b INTEGER" },
    ];
    assert.deepEqual(applyMigrations(db, steps.slice(0, 1)), [1]);
    assert.deepEqual(applyMigrations(db, steps), [2]);
    assert.deepEqual(applyMigrations(db, steps), []);
    db.prepare("INSERT INTO t (a, b) VALUES (1, 2)").run();
  } finally {
    db.close();
  }
});

test("a step that lands after a higher-numbered one is applied when it arrives", () => {
  const db = new Database(":memory:");
  try {
    const one = { version: 1, name: "one", sql: "CREATE TABLE t (a INTEGER)" };
    const two = { version: 2, name: "two", sql: "ALTER TABLE t ADD COLUMN b INTEGER" };
    const three = { version: 3, name: "three", sql: "ALTER TABLE t ADD COLUMN c INTEGER" };
    assert.deepEqual(applyMigrations(db, [one, three]), [1, 3]);
    assert.deepEqual(applyMigrations(db, [one, two, three]), [2]);
    db.prepare("INSERT INTO t (a, b, c) VALUES (1, 2, 3)").run();
    assert.throws(() => applyMigrations(db, [one, three]), SchemaTooNewError, "a build without step 2 is refused");
  } finally {
    db.close();
  }
});

test("a failing migration leaves the previous version intact", () => {
  const db = new Database(":memory:");
  try {
    const steps = [
      { version: 1, name: "one", sql: "CREATE TABLE t (a INTEGER)" },
      { version: 2, name: "broken", sql: "CREATE TABLE u (x INTEGER); THIS IS NOT SQL" },
    ];
    assert.throws(() => applyMigrations(db, steps));
    assert.deepEqual(db.prepare("SELECT MAX(version) AS v FROM schema_migrations").get(), { v: 1 });
    assert.equal(
      db.prepare("SELECT name FROM sqlite_master WHERE name = 'u'").get(),
      undefined,
      "no half-applied step",
    );
  } finally {
    db.close();
  }
});

test("a database migrated by a newer build is refused with a clear error", () => {
  const path = join(root, "future.db");
  void createSqliteStore(path).close();
  const db = new Database(path);
  db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', 0)").run(
    MIGRATIONS[MIGRATIONS.length - 1]!.version + 1,
  );
  db.close();
  assert.throws(
    () => createSqliteStore(path),
    (e: unknown) => e instanceof SchemaTooNewError && /newer than this build/.test(e.message),
  );
});

test("a database at version 9 upgrades: 011 drops the unread indexes and its pending calls are still listed", async () => {
  const path = join(root, "v9.db");
  const db = databaseAt(path, 9);
  db.exec(`INSERT INTO requests (id, namespace, application, version, status, root_call_id, created_at)
             VALUES ('r1', 'default', 'app', 1, 'pending', 'c1', 1);
           INSERT INTO function_calls (id, request_id, seq, item, function_name, args_type, args_size, status, not_before, created_at)
             VALUES ('c1', 'r1', 0, 0, 'app', 'application/json', 0, 'pending', 1, 1)`);
  db.close();
  const store = createSqliteStore(path);
  try {
    assert.deepEqual(
      (await store.listPendingCalls()).map((c) => c.id),
      ["c1"],
    );
  } finally {
    await store.close();
  }
  const { names, applied } = indexesAndMigrations(path);
  assert.ok(!names.includes("calls_pending") && !names.includes("attempts_running"), String(names));
  assert.ok(applied.includes(11));
});

test("a database at version 11 upgrades: 012 lists an application's requests by status from the new indexes", async () => {
  const path = join(root, "v11.db");
  const db = databaseAt(path, 11);
  const insert = db.prepare(
    `INSERT INTO requests (id, namespace, application, version, status, root_call_id, created_at)
     VALUES (?, 'default', 'app', 1, ?, ?, ?)`,
  );
  const statuses = ["pending", "running", "succeeded", "failed", "cancelled", "succeeded", "running"];
  statuses.forEach((status, i) => insert.run(`r${i}`, status, `c${i}`, i + 1));
  insert.run("r7", "succeeded", "c7", 6); // the same created_at as r5: the id breaks the tie
  db.close();

  const store = createSqliteStore(path);
  try {
    const ids = async (status?: "pending" | "running" | "succeeded" | "failed" | "cancelled") =>
      (await store.listRequests({ namespace: "default", application: "app", status, limit: 10 })).rows.map((r) => r.id);
    assert.deepEqual(await ids("succeeded"), ["r7", "r5", "r2"]);
    assert.deepEqual(await ids("running"), ["r6", "r1"]);
    assert.deepEqual(await ids("pending"), ["r0"]);
    assert.deepEqual(await ids("failed"), ["r3"]);
    assert.deepEqual(await ids("cancelled"), ["r4"]);
    assert.deepEqual(await ids(), ["r6", "r7", "r5", "r4", "r3", "r2", "r1", "r0"]);
    // Page boundaries inside a finished status, across the tie: r7, then r5, then r2.
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listRequests({
        namespace: "default",
        application: "app",
        status: "succeeded",
        limit: 1,
        cursor,
      });
      pages.push(page.rows.map((r) => r.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined && pages.length < 5);
    assert.deepEqual(pages.flat(), ["r7", "r5", "r2"]);
    // A page boundary inside the unfinished ones: the cursor resumes after r6.
    const first = await store.listRequests({ namespace: "default", application: "app", status: "running", limit: 1 });
    assert.deepEqual(
      first.rows.map((r) => r.id),
      ["r6"],
    );
    const second = await store.listRequests({
      namespace: "default",
      application: "app",
      status: "running",
      limit: 1,
      cursor: first.nextCursor!,
    });
    assert.deepEqual(
      second.rows.map((r) => r.id),
      ["r1"],
    );
  } finally {
    await store.close();
  }
  const { names, applied } = indexesAndMigrations(path);
  assert.ok(!names.includes("requests_by_app_status") && names.includes("requests_finished_by_app"), String(names));
  assert.ok(applied.includes(12));
});

/** A new database at `path` migrated up to `version` only (the schema an older build left). */
function databaseAt(path: string, version: number): Database.Database {
  const db = openDatabase(path);
  applyMigrations(
    db,
    MIGRATIONS.filter((m) => m.version <= version),
  );
  return db;
}

/** The index names and applied migration versions of the database at `path`. */
function indexesAndMigrations(path: string): { names: unknown[]; applied: unknown[] } {
  const db = new Database(path, { readonly: true });
  try {
    return {
      names: db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").pluck().all(),
      applied: db.prepare("SELECT version FROM schema_migrations").pluck().all(),
    };
  } finally {
    db.close();
  }
}
