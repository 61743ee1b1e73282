/**
 * PostgreSQL store lifecycle: what commits survives the end of the pool, and migrations are safe
 * when several servers start at once. One fresh schema per test, dropped at the end. Skipped with a
 * notice when no PostgreSQL answers within 2 s.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import postgres from "postgres";
import { ev, inline, newAttempt, newRequest, seedRequest, seedRunning } from "../contract/fixtures.js";
import { SchemaTooNewError } from "../shared/migrations.js";
import { createPostgresStore } from "./index.js";
import { applyMigrations } from "./migrate.js";
import { MIGRATIONS } from "./migrations/index.js";
import { schemaFactory, TEST_POSTGRES_URL, unreachableReason } from "../../../test/helpers/postgres-database.js";

const skip = await unreachableReason();
if (skip !== null) console.log(`postgres tests skipped: ${skip}`);

describe("postgres store lifecycle", { skip: skip ?? false }, () => {
  const schemas = schemaFactory();
  after(() => schemas.dropAll());

  test("a write survives ending the pool and reconnecting", { timeout: 15_000 }, async () => {
    const schema = schemas.next();
    const first = createPostgresStore(TEST_POSTGRES_URL, { schema });
    await first.migrate();
    const { request, root } = newRequest({ input: inline("hello") });
    await first.createRequest(request, root, [ev("request:started")]);
    await first.setState(request.id, "k", inline(Uint8Array.of(0, 1, 255)), 5);
    await first.close();

    const second = createPostgresStore(TEST_POSTGRES_URL, { schema });
    try {
      await second.migrate();
      assert.deepEqual((await second.getRequest(request.id))?.input, inline("hello"));
      assert.equal((await second.getCall(root.id))?.status, "pending");
      assert.deepEqual(
        (await second.listEvents(request.id, 0, 10)).map((e) => [e.seq, e.kind]),
        [[1, "request:started"]],
      );
      assert.deepEqual(await second.getState(request.id, "k"), inline(Uint8Array.of(0, 1, 255)));
      // The seq counter survived too: the next event continues the sequence.
      assert.deepEqual(
        (await second.appendEvents(request.id, [ev("progress")])).map((e) => e.seq),
        [2],
      );
    } finally {
      await second.close();
    }
  });

  test("servers starting at once apply each migration exactly once", { timeout: 15_000 }, async () => {
    const schema = schemas.next();
    const stores = Array.from({ length: 5 }, () => createPostgresStore(TEST_POSTGRES_URL, { schema, max: 1 }));
    try {
      await Promise.all(stores.map((s) => s.migrate()));
      await stores[0]!.migrate();
      const sql = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} });
      try {
        const rows = await sql<
          { version: number }[]
        >`SELECT version FROM ${sql(schema)}.schema_migrations ORDER BY version`;
        assert.deepEqual(
          rows.map((r) => r.version),
          MIGRATIONS.map((m) => m.version),
        );
        // A database ahead of this build is refused.
        await sql`INSERT INTO ${sql(schema)}.schema_migrations (version, name, applied_at) VALUES (${MIGRATIONS.at(-1)!.version + 1}, 'future', 0)`;
      } finally {
        await sql.end({ timeout: 5 });
      }
      await assert.rejects(stores[1]!.migrate(), SchemaTooNewError);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  test("a version missing below the highest applied one is applied later (numbers land out of order)", async () => {
    const schema = schemas.next();
    const store = createPostgresStore(TEST_POSTGRES_URL, { schema, max: 1 });
    const sql = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {}, connection: { search_path: schema } });
    try {
      const steps = [
        { version: 1, name: "one", sql: "CREATE TABLE one (x int)" },
        { version: 3, name: "three", sql: "CREATE TABLE three (x int)" },
      ];
      await store.migrate(); // creates the schema
      await sql.unsafe("DROP TABLE schema_migrations");
      assert.deepEqual(await applyMigrations(sql as never, schema, steps), [1, 3]);
      const withTwo = [steps[0]!, { version: 2, name: "two", sql: "CREATE TABLE two (x int)" }, steps[1]!];
      assert.deepEqual(await applyMigrations(sql as never, schema, withTwo), [2]);
      assert.deepEqual(await applyMigrations(sql as never, schema, withTwo), []);
      await sql`INSERT INTO two VALUES (1)`; // the table exists
      await assert.rejects(applyMigrations(sql as never, schema, [steps[1]!, steps[0]!]), /out of order/);
    } finally {
      await sql.end({ timeout: 5 });
      await store.close();
    }
  });

  test("a request row deleted by a server of any release takes its calls, attempts and events (migration 013)", async () => {
    const schema = schemas.next();
    const sql = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {}, connection: { search_path: schema } });
    const store = createPostgresStore(TEST_POSTGRES_URL, { schema, max: 1 });
    const count = async (id: string): Promise<number[]> =>
      Promise.all(
        ["function_calls", "attempts", "events"].map(async (t) =>
          Number((await sql.unsafe(`SELECT count(*) AS n FROM ${t} WHERE request_id = $1`, [id]))[0]!.n),
        ),
      );
    // A finished request with a call, an attempt and events; then the plain DELETE a server of a
    // release before migration 011 sends (it relied on the foreign keys' cascades).
    const finishedAndDeletedByOldServer = async (): Promise<string> => {
      const { request, attempt } = await seedRunning(store);
      await store.appendEvents(request.id, [ev("progress")]);
      // The request is finished apart: this build's finish that also patches the request writes
      // `finished_by` (migration 015), which this schema, at 012 or 013, does not have yet.
      await store.finishAttempt(attempt.id, { status: "succeeded", finishedAt: 2 }, { status: "succeeded" }, null, []);
      await store.finishRequest(request.id, { status: "succeeded", finishedAt: 2 }, []);
      assert.deepEqual(await count(request.id), [1, 1, 1]);
      await sql`DELETE FROM requests WHERE id = ${request.id}`;
      return request.id;
    };
    try {
      await sql.unsafe(`CREATE SCHEMA "${schema}"`);
      await applyMigrations(sql as never, schema, MIGRATIONS.slice(0, 12));
      const orphaned = await finishedAndDeletedByOldServer();
      assert.deepEqual(await count(orphaned), [1, 1, 1], "without the trigger the rows stay behind");
      const kept = await seedRunning(store);
      await store.appendEvents(kept.request.id, [ev("progress")]);

      assert.deepEqual(await applyMigrations(sql as never, schema, MIGRATIONS.slice(0, 13)), [13]);
      assert.deepEqual(await count(orphaned), [0, 0, 0], "the migration sweeps rows orphaned before it");
      assert.deepEqual(await count(kept.request.id), [1, 1, 1], "a live request's rows stay");
      assert.deepEqual(await count(await finishedAndDeletedByOldServer()), [0, 0, 0]);
      assert.deepEqual(await count(kept.request.id), [1, 1, 1]);
    } finally {
      await sql.end({ timeout: 5 });
      await store.close();
    }
  });

  test("a limited attempt finished by a server of a release before 012 frees its maxContainers slot", async () => {
    const schema = schemas.next();
    const store = createPostgresStore(TEST_POSTGRES_URL, { schema, max: 1 });
    const sql = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {}, connection: { search_path: schema } });
    const limit = { namespace: "default", application: "app", version: 1, functions: ["app"], max: 1 };
    const used = { attemptsUsed: 1, infraRetries: 0 };
    try {
      await store.migrate();
      const [a, b] = [await seedRequest(store), await seedRequest(store)];
      const first = newAttempt(a.root);
      assert.ok(Array.isArray(await store.startAttempt(first, used, [], limit)));
      assert.equal(await store.startAttempt(newAttempt(b.root), used, [], limit), "full");
      // The old release's finish: the attempt's row only, its limited_attempts row left behind.
      await sql`UPDATE attempts SET status = 'succeeded', finished_at = 2 WHERE id = ${first.id}`;
      assert.equal((await sql`SELECT 1 FROM limited_attempts WHERE attempt_id = ${first.id}`).length, 1);
      assert.ok(Array.isArray(await store.startAttempt(newAttempt(b.root), used, [], limit)), "the slot is free");
    } finally {
      await sql.end({ timeout: 5 });
      await store.close();
    }
  });

  test("a schema name that would need quoting is refused", () => {
    assert.throws(
      () => createPostgresStore(TEST_POSTGRES_URL, { schema: 'x"; DROP' }),
      /invalid PostgreSQL schema name/,
    );
  });
});
