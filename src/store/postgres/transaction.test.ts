/**
 * PostgreSQL transactions outside the group commit (transaction.ts): a connection lost inside one
 * (backend terminated, PostgreSQL restarted) rejects that write only; the process lives on and the
 * pool's next writes go through. One fresh schema, dropped at the end. Skipped with a notice when
 * no PostgreSQL answers within 2 s.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import postgres from "postgres";
import { createPostgresBlobStore, type PostgresBlobStore } from "./blobs.js";
import { connect, type Sql } from "./connect.js";
import { createPostgresStore } from "./index.js";
import { transaction } from "./transaction.js";
import { schemaFactory, TEST_POSTGRES_URL, unreachableReason } from "../../../test/helpers/postgres-database.js";

const skip = await unreachableReason();
if (skip !== null) console.log(`postgres tests skipped: ${skip}`);

describe("postgres transactions", { skip: skip ?? false }, () => {
  const schemas = schemaFactory();
  const schema = schemas.next();
  let other: postgres.Sql;
  let sql: Sql;
  let blobs: PostgresBlobStore;
  before(async () => {
    const store = createPostgresStore(TEST_POSTGRES_URL, { schema, max: 1 });
    await store.migrate();
    await store.close();
    other = postgres(TEST_POSTGRES_URL, { max: 2, onnotice: () => {}, connection: { search_path: schema } });
    sql = connect(TEST_POSTGRES_URL, { schema, max: 2 });
    blobs = createPostgresBlobStore(sql);
  });
  after(async () => {
    await blobs?.close();
    await other?.end({ timeout: 5 });
    await schemas.dropAll();
  });

  test(
    "the connection dies in a blob write: that write fails, the process lives, the next writes go through",
    { timeout: 30_000 },
    async () => {
      // `other` holds the blob's key lock, so the write waits inside its transaction; its backend is
      // then the one `other` blocks: found by our own pid. Advisory locks are database-wide, not per
      // schema, so the key is this run's own: with a plain "k", a blob write of "k" by another test
      // file or worktree on this database (the blob contract writes "k") waited on this lock too,
      // and was terminated with ours (postgres.js: CONNECTION_CLOSED in that file).
      const key = `k-${schema}`;
      const holder = other.reserve();
      const h = await holder;
      await h`BEGIN`;
      await h`SELECT pg_advisory_xact_lock(hashtextextended(${"tributary.blob:" + key}, 0))`;
      const [{ pid: mine } = { pid: 0 }] = await h<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
      const write = blobs.put(key, new Uint8Array([1]));
      write.catch(() => {});
      let killed = 0;
      for (let i = 0; i < 100 && killed === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        killed = (
          await other`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE ${mine}::int = ANY(pg_blocking_pids(pid))`
        ).count;
      }
      await h`ROLLBACK`;
      h.release();
      assert.equal(killed, 1, "the write's backend was found and terminated");
      await assert.rejects(write);
      // Before transaction.ts, postgres.js's sql.begin gave the dead connection back as open and the
      // next query on it threw from a timer (TypeError: … reading 'write'), uncaught: this file died.
      for (let i = 0; i < 4; i++)
        await Promise.all([blobs.put(`k${i}`, new Uint8Array([i])), blobs.put(key, new Uint8Array([i]))]);
      assert.deepEqual(await blobs.get("k3"), new Uint8Array([3]));
      assert.deepEqual(await blobs.get(key), new Uint8Array([3]));
    },
  );

  test("a throw rolls back and rejects with the thrown error; a value resolves after COMMIT", async () => {
    await sql`CREATE TABLE tx_t (k text PRIMARY KEY)`;
    const boom = new Error("boom");
    await assert.rejects(
      transaction(sql, async (tx) => {
        await tx`INSERT INTO tx_t VALUES ('a')`;
        throw boom;
      }),
      (e) => e === boom,
    );
    assert.equal(await transaction(sql, async (tx) => (await tx`INSERT INTO tx_t VALUES ('b')`).count), 1);
    assert.deepEqual(
      (await other<{ k: string }[]>`SELECT k FROM tx_t ORDER BY k`).map((r) => r.k),
      ["b"],
    );
  });
});
