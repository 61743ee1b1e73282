/**
 * The BlobStore contract: what the local, in-memory and PostgreSQL stores (and a future S3 one) must all do.
 * Not a test file itself; `*.test.ts` files register it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { BlobStore } from "../types.js";
import { BlobNotFoundError, BlobTooLargeError, InvalidBlobKeyError } from "./errors.js";

async function* chunks(...parts: (number | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield typeof p === "number" ? new Uint8Array(p).fill(p % 251) : p;
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of it) parts.push(c);
  return new Uint8Array(Buffer.concat(parts));
}

export const BAD_KEYS = [
  "",
  "/abs",
  "../up",
  "a/../b",
  "a/./b",
  "a//b",
  "a/",
  ".hidden",
  "a/.tmp/x",
  "sp ace",
  "semi;colon",
  "back\\slash",
  "nul\0",
  "ünï",
  "a".repeat(2000),
];

/** `size` bytes of a pattern that differs at every offset within a chunk and across chunks. */
function pattern(size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 7 + (i >>> 16)) % 253;
  return b;
}

async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.byteLength; at += size) yield bytes.subarray(at, at + size);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

/** Registers the blob contract; `make` returns a fresh store and an optional cleanup check. */
export function blobContract(name: string, make: () => Promise<BlobStore>): void {
  const t = (title: string, body: (b: BlobStore) => Promise<void>) =>
    void test(`${name}: ${title}`, { timeout: 10_000 }, async () => body(await make()));

  t("put/get round-trips binary bytes; overwrite replaces; delete removes", async (b) => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    await b.put("ns/app/req/input", bytes);
    assert.deepEqual(await b.get("ns/app/req/input"), bytes);
    await b.put("ns/app/req/input", new Uint8Array([7]));
    assert.deepEqual(await b.get("ns/app/req/input"), new Uint8Array([7]));
    await b.delete("ns/app/req/input");
    await b.delete("ns/app/req/input"); // deleting a missing blob is fine
    await assert.rejects(b.get("ns/app/req/input"), BlobNotFoundError);
  });

  t("stored bytes are a copy of the caller's", async (b) => {
    const bytes = new Uint8Array([1, 2, 3]);
    await b.put("k", bytes);
    bytes[0] = 9;
    const read = await b.get("k");
    assert.deepEqual(read, new Uint8Array([1, 2, 3]));
  });

  t("putStream stores every chunk and returns the size; getStream reads it back", async (b) => {
    const size = await b.putStream("big/blob.bin", chunks(65_536, 1, 100_000, new Uint8Array(0)), 200_000);
    assert.equal(size, 165_537);
    const back = await collect(b.getStream("big/blob.bin"));
    assert.equal(back.byteLength, size);
    assert.deepEqual(back, await b.get("big/blob.bin"));
    assert.equal(back[70_000], 100_000 % 251);
  });

  t("putStream beyond maxBytes throws BlobTooLargeError and stores nothing", async (b) => {
    await b.put("kept", new Uint8Array([1]));
    let returned = false;
    async function* body() {
      try {
        yield new Uint8Array(6);
        yield new Uint8Array(6);
        yield new Uint8Array(6);
      } finally {
        returned = true;
      }
    }
    await assert.rejects(
      b.putStream("too/big", body(), 10),
      (e: unknown) => e instanceof BlobTooLargeError && e.maxBytes === 10,
    );
    assert.ok(returned, "the body stops being read");
    await assert.rejects(b.get("too/big"), BlobNotFoundError);
    // An oversized rewrite leaves the previous blob untouched.
    await assert.rejects(b.putStream("kept", chunks(11), 10), BlobTooLargeError);
    assert.deepEqual(await b.get("kept"), new Uint8Array([1]));
    assert.equal(await b.putStream("exact", chunks(10), 10), 10);
  });

  t("a body that fails mid-stream stores nothing", async (b) => {
    async function* body() {
      yield new Uint8Array(5);
      throw new Error("connection reset");
    }
    await assert.rejects(b.putStream("broken", body()), /connection reset/);
    await assert.rejects(b.get("broken"), BlobNotFoundError);
  });

  t("getStream of a missing blob rejects with BlobNotFoundError when read", async (b) => {
    await assert.rejects(collect(b.getStream("nope")), BlobNotFoundError);
  });

  // 1 MiB is the usual chunk size of chunked stores (PostgreSQL): sizes on either side of one and two
  // chunks, written whole and as a stream of odd-sized pieces, read whole and streamed.
  t("blobs at and around chunk boundaries round-trip through every method", async (b) => {
    const MiB = 1024 * 1024;
    for (const size of [MiB - 1, MiB, MiB + 1, 2 * MiB, 2 * MiB + 1]) {
      const bytes = pattern(size);
      await b.put(`whole/${size}`, bytes);
      assert.ok(equal(await b.get(`whole/${size}`), bytes), `put/get ${size}`);
      assert.equal(await b.putStream(`streamed/${size}`, pieces(bytes, 65_537)), size);
      assert.ok(equal(await collect(b.getStream(`streamed/${size}`)), bytes), `putStream/getStream ${size}`);
    }
  });

  t("a chunked blob can be replaced by a small one and back, and deleted", async (b) => {
    const big = pattern(3 * 1024 * 1024 + 5);
    await b.putStream("k", pieces(big, 100_000));
    await b.put("k", new Uint8Array([1, 2]));
    assert.deepEqual(await b.get("k"), new Uint8Array([1, 2]));
    await b.put("k", big);
    assert.ok(equal(await b.get("k"), big));
    await b.delete("k");
    await assert.rejects(b.get("k"), BlobNotFoundError);
    await assert.rejects(collect(b.getStream("k")), BlobNotFoundError);
  });

  t("a reader may stop part-way through getStream; the store keeps serving", async (b) => {
    const big = pattern(3 * 1024 * 1024);
    await b.put("big", big);
    for (let i = 0; i < 20; i++) {
      for await (const chunk of b.getStream("big")) {
        assert.ok(chunk.byteLength > 0);
        break;
      }
    }
    assert.ok(equal(await b.get("big"), big));
  });

  t("invalid keys are rejected by every method with a clear error", async (b) => {
    for (const key of BAD_KEYS) {
      const isBad = (e: unknown) => e instanceof InvalidBlobKeyError && e.message.startsWith("invalid blob key");
      await assert.rejects(b.put(key, new Uint8Array(1)), isBad, JSON.stringify(key));
      await assert.rejects(b.putStream(key, chunks(1)), isBad);
      await assert.rejects(b.get(key), isBad);
      await assert.rejects(b.delete(key), isBad);
      assert.throws(() => b.getStream(key), isBad);
      if (b.localPath) assert.throws(() => b.localPath!(key), isBad);
    }
  });
}
