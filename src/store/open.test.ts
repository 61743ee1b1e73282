/** openStore: URL forms it accepts and the errors it gives. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { promisify } from "node:util";
import { openStore } from "./open.js";
import { schemaFactory, TEST_POSTGRES_URL, unreachableReason } from "../../test/helpers/postgres-database.js";

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

test(
  "a postgres URL that cannot connect fails naming the option, without leaking the password",
  { timeout: 20_000 },
  async () => {
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
  },
);

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
      assert.equal(
        await store.createApplicationVersion("ns", "a", { functions: [], applications: [], classes: [] }, "k", 1),
        1,
      );
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

// A child process that opens one store and reports every module it loaded: a module hook writes
// each URL to stderr synchronously (so the list is complete when the child exits). A child, because
// this test process has long since loaded the driver through the PostgreSQL tests' helper.
const LOAD_TRACE = `import { writeSync } from "node:fs";
export async function load(url, context, next) { writeSync(2, "loaded " + url + "\\n"); return next(url, context); }`;
const CHILD = `import { register } from "node:module";
register("data:text/javascript," + encodeURIComponent(${JSON.stringify(LOAD_TRACE)}));
const { openStore } = await import(process.argv[1]);
try { const s = await openStore(process.argv[2]); await s.close(); console.log("opened"); }
catch (e) { console.log("failed: " + e.message); }`;

async function modulesLoadedOpening(storeUrl: string): Promise<{ result: string; loaded: string[] }> {
  const openUrl = new URL("./open.js", import.meta.url).href;
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ["--input-type=module", "-e", CHILD, openUrl, storeUrl],
    {
      timeout: 20_000,
    },
  );
  const loaded = stderr.split("\n").flatMap((l) => (l.startsWith("loaded ") ? [l.slice("loaded ".length)] : []));
  return { result: stdout.trim(), loaded };
}

const POSTGRES_MODULE = /\/node_modules\/postgres\/|\/store\/postgres\//;

test("opening a SQLite store never loads the PostgreSQL adapter or driver", { timeout: 30_000 }, async () => {
  const sqlite = await modulesLoadedOpening(`sqlite:${join(root, "trace.db")}`);
  assert.equal(sqlite.result, "opened");
  assert.ok(
    sqlite.loaded.some((u) => u.endsWith("/store/sqlite/index.js")),
    "the trace sees the SQLite adapter load",
  );
  assert.deepEqual(
    sqlite.loaded.filter((u) => POSTGRES_MODULE.test(u)),
    [],
  );

  // The same trace does see them when a postgres:// store is opened (port 1 refuses: no server needed).
  const pg = await modulesLoadedOpening("postgres://user@127.0.0.1:1/x");
  assert.match(pg.result, /^failed: --store/);
  assert.ok(
    pg.loaded.some((u) => /\/node_modules\/postgres\//.test(u)),
    "the driver loads for a postgres:// store",
  );
});
