/** openStore: URL forms it accepts and the errors it gives. */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { openStore } from "./open.js";

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

test("postgres URLs are refused naming the option, without leaking the password", async () => {
  await assert.rejects(openStore("postgres://user:hunter2@db:5432/x"), (e: unknown) => {
    assert.ok(e instanceof Error);
    assert.match(e.message, /--store/);
    assert.match(e.message, /PostgreSQL/);
    assert.doesNotMatch(e.message, /hunter2/);
    return true;
  });
  await assert.rejects(openStore("postgresql://db/x"), /--store/);
});

test("unknown schemes and empty values are clear errors", async () => {
  await assert.rejects(openStore("mysql://db/x"), /unknown scheme "mysql:"/);
  await assert.rejects(openStore("  "), /--store is empty/);
  await assert.rejects(openStore("sqlite:"), /missing the database path/);
});
