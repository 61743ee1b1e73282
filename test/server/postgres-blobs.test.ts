// A server on PostgreSQL with no --blobs keeps bundles, large inputs and large outputs in the
// database: the executor runs the deployed bundle, a 3 MB input and output round-trip, and no blob
// directory is created. Skipped with a notice when no PostgreSQL answers within 2 s.
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import postgres from "postgres";
import { startCluster, sourceOf, type Cluster } from "../helpers/cluster.js";
import { schemaFactory, TEST_POSTGRES_URL, unreachableReason } from "../helpers/postgres-database.js";

const skip = await unreachableReason();
if (skip !== null) console.log(`postgres tests skipped: ${skip}`);

describe("server on PostgreSQL without --blobs", { skip: skip ?? false }, () => {
  const schemas = schemaFactory();
  const schema = schemas.next();
  let c: Cluster;
  let sql: postgres.Sql;
  before(async () => {
    c = await startCluster({ server: { store: `${TEST_POSTGRES_URL}?schema=${schema}`, blobs: undefined } });
    await c.deploy(sourceOf(import.meta.url, "./apps.ts"));
    sql = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {}, connection: { search_path: schema } });
  });
  after(async () => {
    await c?.stop();
    await sql?.end({ timeout: 5 });
    await schemas.dropAll();
  });

  test("a 3 MB input and output go through the database; no blob directory exists", { timeout: 60_000 }, async () => {
    const text = "tributary ".repeat(300_000);
    const base = `${c.server.url}/v1/namespaces/default/applications/api_echo`;
    const res = await fetch(`${base}?wait=30`, {
      method: "POST",
      body: JSON.stringify(text),
      headers: { "content-type": "application/json" },
    });
    assert.equal(res.status, 200, res.status === 200 ? "" : await res.text());
    assert.equal(await res.json(), text);
    const id = res.headers.get("x-tributary-request-id");
    const out = await fetch(`${base}/requests/${id}/output`);
    assert.equal(out.status, 200);
    assert.equal(await out.json(), text);
    const keys = (await sql<{ key: string }[]>`SELECT key FROM blobs ORDER BY key`).map((r) => r.key);
    assert.ok(
      keys.some((k) => k.startsWith("bundles/")),
      `the bundle is a blob: ${keys.join(", ")}`,
    );
    assert.ok(keys.includes("server/secret.key"), "the secrets key lives in the database too");
    // Input and output are above the 64 KiB inline limit: both are chunked blobs.
    const [chunked] = await sql<[{ n: number }]>`SELECT count(*)::int AS n FROM blobs WHERE upload_id IS NOT NULL`;
    assert.ok(chunked.n >= 2, `input and output are chunked blobs (${chunked.n})`);
    assert.ok(!existsSync(join(c.dir, "blobs")), `no blob directory: ${readdirSync(c.dir).join(", ")}`);
  });
});
