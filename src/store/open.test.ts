/** openStore: URL forms it accepts and the errors it gives. */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { openStore } from "./open.js";
import { schemaFactory, TEST_POSTGRES_URL, unreachableReason } from "./postgres/test-database.js";

const root = mkdtempSync(join(tmpdir(), "tributary-open-store-"));
after(() => rmSync(root, { recursive: true, force: true }));

test("sqlite:PATH, sqlite://PATH, a bare path and :memory: open SQLite stores", async () => {
  for (const [url, file] of [
    [`sqlite:${join(root, "a.db")}`, "a.db"],
    [`sqlite://${join(root, "b.db")}`, "b.db"],
    [join(root, "nested", "c.db"), "nested/c.db"],
  ] as const) {
    const store = await openStore(url);
    assert.equal(await store.getRequest("x"), null);
    await store.close();
    assert.ok(existsSync(join(root, file)), `${url} created ${file}`);
  }
  const mem = await openStore("sqlite::memory:");
  await mem.close();
});

test("a postgres URL that cannot connect fails naming the option, without leaking the password", { timeout: 20_000 }, async () => {
  // Port 1 on loopback refuses at once: no PostgreSQL is needed for this test.
  for (const url of ["postgres://user:hunter2@127.0.0.1:1/x", "postgresql://user:hunter2@127.0.0.1:1/x?schema=s"]) {
    await assert.rejects(openStore(url), (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.match(e.message, /--store/);
      assert.match(e.message, /PostgreSQL/);
      assert.doesNotMatch(e.message, /hunter2/);
      return true;
    });
  }
});

test("postgres://…?schema=NAME opens a migrated store in that schema", { timeout: 20_000 }, async (t) => {
  const skip = await unreachableReason();
  if (skip !== null) return t.skip(`postgres tests skipped: ${skip}`);
  const schemas = schemaFactory();
  try {
    const url = new URL(TEST_POSTGRES_URL);
    url.searchParams.set("schema", schemas.next());
    const store = await openStore(url.toString());
    try {
      assert.equal(await store.getRequest("x"), null);
      assert.equal(await store.createApplicationVersion("ns", "a", { functions: [], applications: [], classes: [] }, "k", 1), 1);
    } finally {
      await store.close();
    }
  } finally {
    await schemas.dropAll();
  }
});

test("unknown schemes and empty values are clear errors", async () => {
  await assert.rejects(openStore("mysql://db/x"), /unknown scheme "mysql:"/);
  await assert.rejects(openStore("  "), /--store is empty/);
  await assert.rejects(openStore("sqlite:"), /missing the database path/);
});
