/**
 * Listing an application's requests without a status filter, PostgreSQL: since migration 014 there
 * is no index on (namespace, application, created_at), and `listRequests` reads one range of
 * `requests_by_app_status` per status. Pages must still be newest first, with every status, no
 * duplicates or gaps. One fresh schema, dropped at the end.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import postgres from "postgres";
import { STATUSES } from "../../core/status.js";
import { seedRequest } from "../contract/fixtures.js";
import { createPostgresStore } from "./index.js";
import { schemaFactory, TEST_POSTGRES_URL, unreachableReason } from "../../../test/helpers/postgres-database.js";

const skip = await unreachableReason();
if (skip !== null) console.log(`postgres tests skipped: ${skip}`);

describe("postgres listRequests without a status", { skip: skip ?? false }, () => {
  const schemas = schemaFactory();
  after(() => schemas.dropAll());

  test("pages every status newest first from requests_by_app_status alone", async () => {
    const schema = schemas.next();
    const store = createPostgresStore(TEST_POSTGRES_URL, { schema, max: 2 });
    const sql = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {}, connection: { search_path: schema } });
    try {
      await store.migrate();
      const indexes = await sql<{ indexname: string }[]>`
        SELECT indexname FROM pg_indexes WHERE schemaname = ${schema} AND tablename = 'requests'`;
      const names = indexes.map((i) => i.indexname);
      assert.ok(!names.includes("requests_by_app") && names.includes("requests_by_app_status"), String(names));

      // 40 requests, two per creation time (the id breaks the tie), statuses interleaved.
      const ids: { id: string; createdAt: number }[] = [];
      for (let i = 0; i < 40; i++) {
        const { request } = await seedRequest(store, { createdAt: 1_000 + Math.floor(i / 2) });
        await sql`UPDATE requests SET status = ${STATUSES[(i * 3) % STATUSES.length]!} WHERE id = ${request.id}`;
        ids.push(request);
      }
      await seedRequest(store, { application: "elsewhere" });
      const expected = [...ids].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1)).map((r) => r.id);

      const seen: string[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 20; pages++) {
        const page: Awaited<ReturnType<typeof store.listRequests>> = await store.listRequests({
          namespace: "default",
          application: "app",
          cursor,
          limit: 7,
        });
        seen.push(...page.rows.map((r) => r.id));
        if (page.nextCursor === null) break;
        assert.equal(page.rows.length, 7, "only the last page may be short");
        cursor = page.nextCursor;
      }
      assert.deepEqual(seen, expected);
      const rows = (await store.listRequests({ namespace: "default", application: "app", limit: 40 })).rows;
      assert.deepEqual(new Set(rows.map((r) => r.status)), new Set(STATUSES), "every status is listed");
    } finally {
      await sql.end({ timeout: 5 });
      await store.close();
    }
  });
});
