/**
 * The database away and back (docs/operations.md, "When something goes away"): the store's queries
 * fail while it is away and work again once it is back, group commits included (they reserve a
 * connection). Through a proxy this test cuts, so PostgreSQL itself is never touched. Skipped with
 * a notice when no PostgreSQL answers within 2 s.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { connect, reconnectDelaySeconds } from "./connect.js";
import { groupCommit } from "./group-commit.js";
import { databaseProxy } from "../../../test/helpers/tcp-proxy.js";
import { unreachableReason } from "../../../test/helpers/postgres-database.js";

const skip = await unreachableReason();
if (skip !== null) console.log(`postgres tests skipped: ${skip}`);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `p`, or a rejection naming `what` after `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

describe("postgres: the database away and back", { skip: skip ?? false }, () => {
  test("group commits work again once the database is back", { timeout: 60_000 }, async () => {
    const db = await databaseProxy();
    const sql = connect(db.url, { max: 4, connectTimeoutSeconds: 2 });
    const begin = groupCommit(sql);
    // Writes keep coming, as on a busy server: connections are refused and retried while it is away.
    let stop = false;
    const load = (async () => {
      while (!stop) {
        void begin.one((tx) => tx`SELECT 1`).catch(() => {});
        await sleep(200);
      }
    })();
    try {
      await within(
        begin.one((tx) => tx`SELECT 1 AS x`),
        10_000,
        "a group commit before the outage",
      );
      await db.cut();
      // Long enough for postgres.js's own backoff to have reached 7–20 s between reconnects.
      await sleep(8_000);
      await db.restore();
      // Reconnects back off at most 2 s (connect.ts `reconnectDelaySeconds`; postgres.js's own
      // curve waited up to 20 s): with the reserve's own retry (2 s here), well within 10 s.
      const back = performance.now();
      const [row] = await within(
        begin.one((tx) => tx<{ x: number }[]>`SELECT 2 AS x`),
        10_000,
        "a group commit after the database came back",
      );
      assert.equal(row?.x, 2);
      console.log(`group commit answered ${Math.round(performance.now() - back)} ms after the database came back`);
    } finally {
      stop = true;
      await load;
      await sql.end({ timeout: 1 }).catch(() => {});
      await db.close();
    }
  });
});

test("reconnect delays stay between 0 and 2 s however many closes the pool counted", () => {
  for (const retries of [0, 1, 3, 6, 10, 50]) {
    const d = reconnectDelaySeconds(retries);
    assert.ok(d > 0 && d <= 2, `${retries} retries: ${d} s`);
  }
  assert.ok(reconnectDelaySeconds(50) >= 1, "the cap, jittered to half at least");
});
