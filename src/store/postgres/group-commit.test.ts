/**
 * PostgreSQL group commit: writes issued together share one transaction, nothing settles before
 * its COMMIT, and one bad write fails alone. One fresh schema, dropped at the end. Skipped with a
 * notice when no PostgreSQL answers within 2 s.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import postgres from "postgres";
import { connect, type Sql } from "./connect.js";
import { groupCommit, type Begin } from "./group-commit.js";
import { schemaFactory, TEST_POSTGRES_URL, unreachableReason } from "../../../test/helpers/postgres-database.js";

const skip = await unreachableReason();
if (skip !== null) console.log(`postgres tests skipped: ${skip}`);

describe("postgres group commit", { skip: skip ?? false }, () => {
  const schemas = schemaFactory();
  const schema = schemas.next();
  let sql: Sql;
  let other: postgres.Sql;
  let begin: Begin;
  before(async () => {
    other = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} });
    await other.unsafe(`CREATE SCHEMA "${schema}"`);
    await other.unsafe(`SET search_path = "${schema}"`);
    await other.unsafe(`CREATE TABLE t (k text PRIMARY KEY, job int NOT NULL)`);
    await other.unsafe(`CREATE TABLE d (k text, CONSTRAINT d_k UNIQUE (k) DEFERRABLE INITIALLY DEFERRED)`);
    sql = connect(TEST_POSTGRES_URL, { schema, max: 4 });
    begin = groupCommit(sql);
  });
  after(async () => {
    await sql?.end({ timeout: 5 });
    await other?.end({ timeout: 5 });
    await schemas.dropAll();
  });

  const rows = async (prefix: string) =>
    (await other<{ k: string }[]>`SELECT k FROM t WHERE k LIKE ${prefix + "%"} ORDER BY k`).map((r) => r.k);

  test("writes issued together run in one transaction and are visible once they settle", async () => {
    const txids = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        begin(async (tx) => {
          await tx`INSERT INTO t VALUES (${`a${i}`}, ${i})`;
          const [row] = await tx<{ id: string }[]>`SELECT txid_current()::text AS id`;
          return row!.id;
        }),
      ),
    );
    assert.equal(new Set(txids).size, 1, "one transaction");
    assert.equal((await rows("a")).length, 10, "committed when the promises settled");
  });

  test("a job that fails (JS or SQL error) fails alone; the others commit exactly once", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        begin(async (tx) => {
          await tx`INSERT INTO t VALUES (${`b${i}`}, ${i})`;
          if (i === 2) throw new Error("job 2 gives up");
          if (i === 4) await tx`SELECT 1 / 0`; // aborts the shared transaction
          return i;
        }),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      ["fulfilled", "fulfilled", "rejected", "fulfilled", "rejected", "fulfilled"],
    );
    assert.match(String((results[2] as PromiseRejectedResult).reason), /job 2 gives up/);
    assert.match(String((results[4] as PromiseRejectedResult).reason), /division by zero/);
    assert.deepEqual(await rows("b"), ["b0", "b1", "b3", "b5"]);
  });

  test("nothing is acknowledged before COMMIT: a COMMIT that fails rejects every job of its batch", async () => {
    let ran = 0;
    const results = await Promise.allSettled(
      ["same", "same", "other"].map((k) =>
        begin(async (tx) => {
          await tx`INSERT INTO d VALUES (${k})`; // the unique check is deferred to COMMIT
          ran++;
          return k;
        }),
      ),
    );
    assert.equal(ran, 3, "every job's own statements succeeded");
    assert.ok(
      results.every((r) => r.status === "rejected" && /d_k/.test(String(r.reason))),
      JSON.stringify(results.map((r) => r.status)),
    );
    assert.equal((await other`SELECT k FROM d`).length, 0, "the batch was rolled back");
  });

  test("writes issued while a batch commits form the next batch", async () => {
    const first = begin(async (tx) => (await tx<{ id: string }[]>`SELECT txid_current()::text AS id`)[0]!.id);
    await new Promise((r) => setImmediate(r)); // the first batch is under way
    const next = await Promise.all(
      Array.from({ length: 5 }, () =>
        begin(async (tx) => (await tx<{ id: string }[]>`SELECT txid_current()::text AS id`)[0]!.id),
      ),
    );
    assert.equal(new Set(next).size, 1);
    assert.notEqual(next[0], await first);
  });

  test("ride joins the batch being gathered, and runs at once when there is none", async () => {
    const txid = (tx: Parameters<Parameters<Begin>[0]>[0]) =>
      tx<{ id: string }[]>`SELECT txid_current()::text AS id`.then((r) => r[0]!.id);
    let rode = "";
    const joined = begin(txid);
    await begin.ride(async (tx) => (rode = await txid(tx)));
    assert.equal(rode, await joined, "one transaction with the gathered job");
    await begin.ride((tx) => tx`INSERT INTO t VALUES ('c0', 0)`);
    assert.deepEqual(await rows("c"), ["c0"]);
  });

  test("one-statement jobs: a failed statement rolls the batch back and fails alone; a throw after commit is the job's own", async () => {
    const runs = new Map<number, number>();
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) =>
        begin.one(async (tx) => {
          runs.set(i, (runs.get(i) ?? 0) + 1);
          if (i === 1)
            await tx`INSERT INTO t SELECT ${`e${i}`}, 1 / (${i} - 1)`; // division by zero
          else await tx`INSERT INTO t VALUES (${`e${i}`}, ${i})`;
          return i;
        }),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      ["fulfilled", "rejected", "fulfilled", "fulfilled", "fulfilled"],
    );
    assert.deepEqual(await rows("e"), ["e0", "e2", "e3", "e4"]);
    assert.deepEqual([...runs.values()], [2, 2, 2, 2, 2], "rolled back once, then each alone");

    runs.clear();
    const late = await Promise.allSettled(
      Array.from({ length: 3 }, (_, i) =>
        begin.one(async (tx) => {
          runs.set(i, (runs.get(i) ?? 0) + 1);
          const r = await tx`INSERT INTO t SELECT ${`f${i}`}, ${i} WHERE ${i} <> 1`;
          if (r.count === 0) throw new Error("nothing written");
          return i;
        }),
      ),
    );
    assert.deepEqual(
      late.map((r) => r.status),
      ["fulfilled", "rejected", "fulfilled"],
    );
    assert.deepEqual(await rows("f"), ["f0", "f2"]);
    assert.deepEqual([...runs.values()], [1, 1, 1], "the batch committed: nothing ran twice");
  });

  test("alone runs in a transaction of its own, in issue order", async () => {
    const txid = (tx: Parameters<Parameters<Begin>[0]>[0]) =>
      tx<{ id: string }[]>`SELECT txid_current()::text AS id`.then((r) => r[0]!.id);
    const order: string[] = [];
    const [a, b, c, d] = await Promise.all([
      begin(async (tx) => (await tx`INSERT INTO t VALUES ('g0', 0)`, order.push("a"), txid(tx))),
      begin.alone(async (tx) => {
        const [row] = await tx<{ n: number }[]>`SELECT count(*)::int AS n FROM t WHERE k = 'g0'`;
        order.push(`b${row!.n}`);
        return txid(tx);
      }),
      begin(async (tx) => (order.push("c"), txid(tx))),
      begin(async (tx) => (order.push("d"), txid(tx))),
    ]);
    assert.deepEqual(order, ["a", "b1", "c", "d"]);
    assert.equal(new Set([a, b, c]).size, 3);
    assert.equal(c, d);
  });

  /**
   * Terminates the backend running a statement whose text holds `marker`, waiting up to 2 s for it
   * to show up; how many were terminated. The marker names this run's schema, so a run of this file
   * in another worktree (same database) is never hit.
   */
  async function terminate(marker: string): Promise<number> {
    let killed = 0;
    for (let i = 0; i < 100 && killed === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      killed = (
        await other`
        SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE query LIKE ${`%${marker}%`} AND query NOT LIKE '%pg_terminate_backend%'
          AND pid <> pg_backend_pid() AND datname = current_database()`
      ).count;
    }
    return killed;
  }

  test("the connection dies in a batch: its jobs are rejected, not re-run, and the pool goes on", async () => {
    let runs = 0;
    const job = begin(async (tx) => {
      runs++;
      // This run's schema in the text: only this statement's backend is found below, not one of
      // another run of this file (other worktrees test against the same database).
      await tx.unsafe(`INSERT INTO t SELECT 'n0', 0 FROM pg_sleep(5) /* ${schema} */`);
      await tx`INSERT INTO t VALUES ('n1', 1)`;
    });
    assert.equal(await terminate(`pg_sleep(5) /* ${schema} */`), 1, "the batch's backend was found and terminated");
    await assert.rejects(job);
    assert.equal(runs, 1);
    // The dead connection was not given back to the pool as open (postgres.js would then write to
    // its closed socket from a timer, uncaught): every connection of the pool serves a write.
    const txids = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        begin.alone(async (tx) => (await tx`INSERT INTO t VALUES (${`n${i + 2}`}, 0)`, i)),
      ),
    );
    assert.equal(txids.length, 8);
    assert.equal((await rows("n")).length, 8);
  });

  test(
    "a pool of one: after its connection died in a batch, the next batches go through",
    { timeout: 20_000 },
    async () => {
      const one = connect(TEST_POSTGRES_URL, { schema, max: 1 });
      try {
        const solo = groupCommit(one);
        await solo((tx) => tx`SELECT 1`);
        const job = solo(async (tx) => {
          await tx.unsafe(`INSERT INTO t SELECT 'o0', 0 FROM pg_sleep(5) /* ${schema} solo */`);
        });
        assert.equal(await terminate(`pg_sleep(5) /* ${schema} solo */`), 1);
        await assert.rejects(job);
        for (let i = 1; i <= 3; i++) await solo(async (tx) => tx`INSERT INTO t VALUES (${`o${i}`}, ${i})`);
        assert.deepEqual(await rows("o"), ["o1", "o2", "o3"]);
      } finally {
        await one.end({ timeout: 5 });
      }
    },
  );
});
