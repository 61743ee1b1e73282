/**
 * The PostgreSQL blob store: the blob contract (with 1 MiB chunks and with chunks that do not
 * divide a MiB), what it leaves in its tables, and bounded memory on a
 * 200 MB stream. A fresh schema per store, all dropped at the end. Skipped with a notice when no
 * PostgreSQL answers within 2 s.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, describe, test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import postgres from "postgres";
import { blobContract } from "../blobs/contract.js";
import { BlobNotFoundError, BlobTooLargeError } from "../blobs/errors.js";
import { createPostgresBlobStore, type PostgresBlobOptions, type PostgresBlobStore } from "./blobs.js";
import { connect } from "./connect.js";
import { createPostgresStore } from "./index.js";
import { schemaFactory, TEST_POSTGRES_URL, unreachableReason } from "../../../test/helpers/postgres-database.js";

setFlagsFromString("--expose_gc");
const gc = runInNewContext("gc") as () => void;

const skip = await unreachableReason();
if (skip !== null) console.log(`postgres tests skipped: ${skip}`);

const schemas = schemaFactory();
const open: PostgresBlobStore[] = [];
const sqls: postgres.Sql[] = [];
after(async () => {
  await Promise.all(open.map((b) => b.close()));
  await Promise.all(sqls.map((s) => s.end({ timeout: 5 })));
  await schemas.dropAll();
});

/** A blob store on a freshly migrated schema, and a plain connection to look at its tables. */
async function fresh(options: PostgresBlobOptions = {}) {
  const schema = schemas.next();
  const store = createPostgresStore(TEST_POSTGRES_URL, { schema, max: 1 });
  await store.migrate();
  await store.close();
  const blobs = createPostgresBlobStore(connect(TEST_POSTGRES_URL, { schema, max: 4 }), options);
  open.push(blobs);
  const sql = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {}, connection: { search_path: schema } });
  sqls.push(sql);
  const rows = async () => {
    const [r] = await sql<{ blobs: number; uploads: number; chunks: number }[]>`
      SELECT (SELECT count(*)::int FROM blobs) AS blobs, (SELECT count(*)::int FROM blob_uploads) AS uploads,
             (SELECT count(*)::int FROM blob_chunks) AS chunks`;
    return r!;
  };
  return { blobs, sql, rows };
}

async function* repeat(piece: Uint8Array, times: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < times; i++) yield piece;
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const parts: Uint8Array[] = [];
  for await (const c of it) parts.push(c);
  return parts;
}

if (skip === null) {
  const blobsOnly = async (options?: PostgresBlobOptions) => {
    const t = await fresh(options);
    await t.sql.end({ timeout: 5 });
    return t.blobs;
  };
  blobContract("postgres", () => blobsOnly());
  // Chunks that do not divide a MiB: the contract's boundary sizes then fall mid-chunk.
  blobContract("postgres, 100 000-byte chunks", () => blobsOnly({ chunkBytes: 100_000 }));
}

describe("postgres blob store", { skip: skip ?? false }, () => {
  test("a blob of one chunk is one row; a larger one is chunks, streamed chunk by chunk", async () => {
    const t = await fresh({ chunkBytes: 1000 });
    await t.blobs.put("small", new Uint8Array(1000));
    assert.deepEqual(await t.rows(), { blobs: 1, uploads: 0, chunks: 0 });
    assert.equal(await t.blobs.putStream("big", repeat(new Uint8Array(300).fill(7), 35)), 10_500);
    assert.deepEqual(await t.rows(), { blobs: 2, uploads: 0, chunks: 11 });
    const parts = await collect(t.blobs.getStream("big"));
    assert.deepEqual(
      parts.map((p) => p.byteLength),
      [...Array<number>(10).fill(1000), 500],
    );
    assert.ok(parts.every((p) => p.every((x) => x === 7)));
  });

  test("replacing, deleting and failed uploads leave no chunk or upload behind", async () => {
    const t = await fresh({ chunkBytes: 1000 });
    await t.blobs.put("k", new Uint8Array(5000));
    await t.blobs.put("k", new Uint8Array(3000).fill(1)); // the first upload's 5 chunks go
    assert.deepEqual(await t.rows(), { blobs: 1, uploads: 0, chunks: 3 });
    await assert.rejects(t.blobs.putStream("k", repeat(new Uint8Array(600), 10), 5000), BlobTooLargeError);
    async function* broken() {
      yield new Uint8Array(2500);
      throw new Error("connection reset");
    }
    await assert.rejects(t.blobs.putStream("k", broken()), /connection reset/);
    assert.deepEqual(await t.blobs.get("k"), new Uint8Array(3000).fill(1), "failed rewrites keep the blob");
    assert.deepEqual(await t.rows(), { blobs: 1, uploads: 0, chunks: 3 });
    await t.blobs.delete("k");
    assert.deepEqual(await t.rows(), { blobs: 0, uploads: 0, chunks: 0 });
    await assert.rejects(t.blobs.get("k"), BlobNotFoundError);
  });

  test("concurrent writers of one key leave exactly one blob and no orphaned chunks", async () => {
    const t = await fresh({ chunkBytes: 1000 });
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => t.blobs.put("k", new Uint8Array(1000 * (i + 1) + 1).fill(i))),
    );
    const got = await t.blobs.get("k");
    const i = got[0]!;
    assert.equal(got.byteLength, 1000 * (i + 1) + 1);
    assert.deepEqual(await t.rows(), { blobs: 1, uploads: 0, chunks: i + 2 });
  });

  test("an upload abandoned by a crashed process is swept with its chunks", async () => {
    const t = await fresh({ chunkBytes: 1000, abandonAfterMs: 60_000 });
    const [{ id }] = await t.sql<[{ id: number }]>`
      INSERT INTO blob_uploads (key, started_at) VALUES ('lost', ${Date.now() - 120_000}) RETURNING id`;
    await t.sql`INSERT INTO blob_chunks (upload_id, seq, data) VALUES (${id}, 0, ${Buffer.alloc(1000)})`;
    await t.blobs.putStream("next", repeat(new Uint8Array(1000), 2)); // a chunked upload sweeps
    assert.deepEqual(await t.rows(), { blobs: 1, uploads: 0, chunks: 2 });
  });

  test("putIfAbsent: one winner among racing servers, all read the same bytes", async () => {
    const t = await fresh();
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => t.blobs.putIfAbsent("server/secret.key", new Uint8Array([i]))),
    );
    assert.equal(new Set(results.map((r) => r[0])).size, 1);
    assert.deepEqual(await t.blobs.get("server/secret.key"), results[0]);
  });

  // Not a timing assert: the point is that neither direction holds the body in memory. Holding it
  // would add ≥ 200 MB; chunks in flight (and their hex encoding) account for a few MB.
  test("a 200 MB stream goes in and out with bounded memory", { timeout: 300_000 }, async () => {
    const t = await fresh();
    const piece = new Uint8Array(64 * 1024);
    for (let i = 0; i < piece.byteLength; i++) piece[i] = (i * 31) % 251;
    const times = (200 * 1024 * 1024) / piece.byteLength;
    const base = process.memoryUsage().rss;
    let peak = base;
    const sample = () => {
      gc();
      peak = Math.max(peak, process.memoryUsage().rss);
    };
    const hashIn = createHash("sha256");
    async function* body() {
      for (let i = 0; i < times; i++) {
        piece[0] = i % 256; // every piece differs, so a stored copy could not be shared
        hashIn.update(piece);
        if (i % 16 === 0) sample(); // every MiB
        yield piece;
      }
    }
    assert.equal(await t.blobs.putStream("huge", body()), 200 * 1024 * 1024);
    const hashOut = createHash("sha256");
    let size = 0;
    for await (const chunk of t.blobs.getStream("huge")) {
      assert.ok(chunk.byteLength <= 1024 * 1024);
      hashOut.update(chunk);
      size += chunk.byteLength;
      sample();
    }
    assert.equal(size, 200 * 1024 * 1024);
    assert.equal(hashOut.digest("hex"), hashIn.digest("hex"));
    const growth = (peak - base) / 2 ** 20;
    assert.ok(growth < 64, `RSS grew by ${growth.toFixed(0)} MiB while streaming 200 MiB`);
    console.log(`200 MiB through the PostgreSQL blob store: RSS grew by at most ${growth.toFixed(1)} MiB`);
  });
});
