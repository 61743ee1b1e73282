/**
 * An attempt's finish deletes its `limited_attempts` row (migration 012) whenever it may have one,
 * and skips that DELETE for an attempt the same store started without a limit (attempts.ts
 * `startedUnlimited`). The DELETE statements are counted by a statement-level trigger, which fires
 * once per DELETE run, whether or not it deletes a row. One fresh schema per test.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import postgres from "postgres";
import { ev, newAttempt, seedRequest } from "../contract/fixtures.js";
import type { ContainerLimit, Store } from "../types.js";
import { createPostgresStore } from "./index.js";
import { schemaFactory, TEST_POSTGRES_URL, unreachableReason } from "../../../test/helpers/postgres-database.js";

const skip = await unreachableReason();
if (skip !== null) console.log(`postgres tests skipped: ${skip}`);

const used = { attemptsUsed: 1, infraRetries: 0 };
const limit: ContainerLimit = { namespace: "default", application: "app", version: 1, functions: ["app"], max: 1 };

/** Finishes `attemptId` (succeeded, with its call; the request stays running). */
function finish(store: Store, attemptId: string): Promise<unknown> {
  return store.finishAttempt(attemptId, { status: "succeeded", finishedAt: 3_000 }, { status: "succeeded" }, null, [
    ev("attempt:succeeded"),
  ]);
}

describe("postgres finish of a limited or unlimited attempt", { skip: skip ?? false }, () => {
  const schemas = schemaFactory();
  after(() => schemas.dropAll());

  test("the DELETE runs only where a limited_attempts row may exist, and the row goes", async () => {
    const schema = schemas.next();
    const a = createPostgresStore(TEST_POSTGRES_URL, { schema, max: 1 });
    const b = createPostgresStore(TEST_POSTGRES_URL, { schema, max: 1 });
    const sql = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {}, connection: { search_path: schema } });
    try {
      await a.migrate();
      await sql.unsafe(`
        CREATE TABLE deletes (n int NOT NULL);
        INSERT INTO deletes VALUES (0);
        CREATE FUNCTION count_delete() RETURNS trigger LANGUAGE plpgsql AS
          $$ BEGIN UPDATE deletes SET n = n + 1; RETURN NULL; END $$;
        CREATE TRIGGER counted AFTER DELETE ON limited_attempts FOR EACH STATEMENT EXECUTE FUNCTION count_delete();`);
      const deletes = async (): Promise<number> => (await sql<{ n: number }[]>`SELECT n FROM deletes`)[0]!.n;
      const rows = async (): Promise<number> => (await sql`SELECT 1 FROM limited_attempts`).length;
      const started = async (store: Store, lim?: ContainerLimit): Promise<string> => {
        const { root } = await seedRequest(store);
        const attempt = newAttempt(root);
        assert.ok(Array.isArray(await store.startAttempt(attempt, used, [], lim)));
        return attempt.id;
      };

      // Started unlimited by this store: no row, and no DELETE.
      await finish(a, await started(a));
      assert.equal(await deletes(), 0);

      // Started limited: its finish deletes the row, and the slot is free again.
      await finish(a, await started(a, limit));
      assert.deepEqual([await deletes(), await rows()], [1, 0]);
      const again = await started(a, limit);
      assert.equal(await rows(), 1);

      // Finished by another store (a takeover): it cannot know how an attempt started, so it deletes.
      await finish(b, again);
      assert.deepEqual([await deletes(), await rows()], [2, 0]);
      await finish(b, await started(a));
      assert.equal(await deletes(), 3);
    } finally {
      await sql.end({ timeout: 5 });
      await a.close();
      await b.close();
    }
  });
});
