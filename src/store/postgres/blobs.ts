/**
 * A BlobStore in PostgreSQL (tables of migration 008), the default beside a PostgreSQL store: a
 * cluster then needs nothing but the database.
 *
 * Invariants:
 * - A blob is either absent or complete. A blob of at most one chunk is one row of `blobs`. A
 *   larger one is written chunk by chunk under a `blob_uploads` id (one short statement per chunk:
 *   no transaction and no pooled connection is held for the length of an upload), then published
 *   in one transaction that points the key at the upload and drops the chunks it replaces. Readers
 *   only ever follow a published key, so they never see a partial blob.
 * - Memory is bounded by a few chunks in either direction: `putStream` writes each chunk before it
 *   reads far past it, and `getStream` holds the chunk it yields and the one it prefetches.
 * - Writers of one key are serialised by a transaction-scoped advisory lock on the key, so a
 *   replaced or deleted blob's chunks are always dropped, never orphaned.
 * - A failed or oversized `putStream` deletes what it wrote; an upload abandoned by a crashed
 *   process is swept (with its chunks) once it is a day old.
 * - Small payloads (≤ 64 KiB, engine/payloads.ts) never get here: they stay inline in their row.
 */
import type { BlobStore } from "../types.js";
import { BlobNotFoundError, BlobTooLargeError, checkMaxBytes, validateBlobKey } from "../blobs/errors.js";
import type { Sql, Tx } from "./connect.js";
import { transaction } from "./transaction.js";

/** Options of {@link createPostgresBlobStore}. */
export interface PostgresBlobOptions {
  /** Bytes per chunk (default 1 MiB). Small values are for tests of chunk boundaries. */
  chunkBytes?: number;
  /** An upload older than this is taken for abandoned and swept (default one day). */
  abandonAfterMs?: number;
}

/** A BlobStore that owns its pool: `close()` ends it. */
export interface PostgresBlobStore extends BlobStore {
  /**
   * Stores `bytes` under `key` unless a blob is already there; resolves to the stored blob either
   * way (one winner when several servers race).
   */
  putIfAbsent(key: string, bytes: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

interface BlobRow {
  size: number;
  data: Buffer | null;
  upload_id: number | null;
}

const SWEEP_EVERY_MS = 60 * 60 * 1000;

/**
 * @example
 * const blobs = createPostgresBlobStore(postgres(url));
 * const size = await blobs.putStream("inputs/default/6f1c…", req.body, 5 * 2 ** 30);
 * for await (const chunk of blobs.getStream("inputs/default/6f1c…")) res.write(chunk);
 */
export function createPostgresBlobStore(sql: Sql, options: PostgresBlobOptions = {}): PostgresBlobStore {
  const chunkBytes = options.chunkBytes ?? 1024 * 1024;
  const abandonAfterMs = options.abandonAfterMs ?? 24 * 60 * 60 * 1000;
  let lastSweep = 0;

  /** Points `key` at a row (inline bytes or an upload) and drops what it held before, in one transaction. */
  async function publish(key: string, size: number, data: Uint8Array | null, uploadId: number | null): Promise<void> {
    await transaction(sql, async (tx) => {
      await lockKey(tx, key);
      if (uploadId !== null) {
        // Gone if a sweep took it for abandoned: its chunks are gone too, so nothing may point at it.
        const own = await tx`DELETE FROM blob_uploads WHERE id = ${uploadId}`;
        if (own.count === 0)
          throw new Error(`blob ${JSON.stringify(key)}: the upload was abandoned before it finished`);
      }
      const old = await tx<{ upload_id: number | null }[]>`DELETE FROM blobs WHERE key = ${key} RETURNING upload_id`;
      await tx`INSERT INTO blobs (key, size, data, upload_id, created_at)
        VALUES (${key}, ${size}, ${data === null ? null : Buffer.from(data.buffer, data.byteOffset, data.byteLength)},
          ${uploadId}, ${Date.now()})`;
      if (old[0]?.upload_id != null) await tx`DELETE FROM blob_chunks WHERE upload_id = ${old[0].upload_id}`;
    });
  }

  /** Writes `body` as chunks of one new upload; returns its id and size. Deletes them on failure. */
  async function upload(key: string, first: Uint8Array, rest: AsyncIterator<Uint8Array>, limit: number) {
    await sweepIfDue();
    const [row] = await sql<{ id: number }[]>`
      INSERT INTO blob_uploads (key, started_at) VALUES (${key}, ${Date.now()}) RETURNING id`;
    const id = row!.id;
    let seq = 0;
    let writing: Promise<unknown> = Promise.resolve();
    const write = async (chunk: Uint8Array) => {
      // One insert in flight while the next chunk is read: at most ~2 chunks in memory.
      await writing;
      const n = seq++;
      writing = sql`INSERT INTO blob_chunks (upload_id, seq, data) VALUES (${id}, ${n}, ${asBuffer(chunk)})`;
      // A failed insert must not go unobserved while the next chunk is being read.
      writing.catch(() => {});
    };
    try {
      const chunker = new Chunker(chunkBytes);
      for (const c of chunker.push(first)) await write(c);
      let size = first.byteLength;
      for (;;) {
        const next = await rest.next();
        if (next.done) break;
        size += next.value.byteLength;
        if (size > limit) throw new BlobTooLargeError(key, limit);
        for (const c of chunker.push(next.value)) await write(c);
      }
      const tail = chunker.flush();
      if (tail) await write(tail);
      await writing;
      return { id, size };
    } catch (e) {
      await rest.return?.().catch(() => {});
      await writing.catch(() => {});
      await dropUpload(id).catch(() => {});
      throw e;
    }
  }

  async function dropUpload(id: number): Promise<void> {
    await transaction(sql, async (tx) => {
      await tx`DELETE FROM blob_uploads WHERE id = ${id}`;
      await tx`DELETE FROM blob_chunks WHERE upload_id = ${id}`;
    });
  }

  async function sweepIfDue(): Promise<void> {
    const now = Date.now();
    if (now - lastSweep < SWEEP_EVERY_MS) return;
    lastSweep = now;
    const stale = await sql<{ id: number }[]>`
      SELECT id FROM blob_uploads WHERE started_at < ${now - abandonAfterMs} ORDER BY id LIMIT 100`;
    for (const { id } of stale) await dropUpload(id);
  }

  async function find(key: string): Promise<BlobRow> {
    const [row] = await sql<BlobRow[]>`SELECT size, data, upload_id FROM blobs WHERE key = ${key}`;
    if (!row) throw new BlobNotFoundError(key);
    return row;
  }

  async function readChunk(key: string, uploadId: number, seq: number): Promise<Uint8Array> {
    const [c] = await sql<{ data: Buffer }[]>`
      SELECT data FROM blob_chunks WHERE upload_id = ${uploadId} AND seq = ${seq}`;
    // Replaced or deleted while being read: what was yielded so far belongs to a blob that is gone.
    if (!c) throw new BlobNotFoundError(key);
    return toBytes(c.data);
  }

  async function* stream(key: string, found?: BlobRow): AsyncGenerator<Uint8Array> {
    const row = found ?? (await find(key));
    if (row.data !== null) {
      yield toBytes(row.data);
      return;
    }
    let read = 0;
    let next: Promise<Uint8Array> | null = readChunk(key, row.upload_id!, 0);
    for (let seq = 1; next !== null; seq++) {
      const chunk: Uint8Array = await next;
      read += chunk.byteLength;
      // Prefetch the following chunk while the consumer handles this one.
      next = read < row.size ? readChunk(key, row.upload_id!, seq) : null;
      next?.catch(() => {}); // observed when awaited; the consumer may stop early
      yield chunk;
    }
  }

  const store: PostgresBlobStore = {
    async put(key, bytes) {
      validateBlobKey(key);
      if (bytes.byteLength <= chunkBytes) return publish(key, bytes.byteLength, bytes, null);
      const { id, size } = await upload(key, bytes, emptyIterator(), Infinity);
      await publishUpload(key, size, id);
    },
    async putStream(key, body, maxBytes) {
      validateBlobKey(key);
      const limit = checkMaxBytes(maxBytes);
      const it = body[Symbol.asyncIterator]();
      // Read up to one chunk: a body that ends there is stored as one row, with no upload.
      const head: Uint8Array[] = [];
      let size = 0;
      try {
        while (size <= chunkBytes) {
          const next = await it.next();
          if (next.done) {
            const bytes = concat(head, size);
            await publish(key, size, bytes, null);
            return size;
          }
          size += next.value.byteLength;
          if (size > limit) throw new BlobTooLargeError(key, limit);
          head.push(next.value.slice()); // the caller may reuse its buffer once we ask for more
        }
      } catch (e) {
        await it.return?.().catch(() => {});
        throw e;
      }
      const { id, size: total } = await upload(key, concat(head, size), it, limit);
      await publishUpload(key, total, id);
      return total;
    },
    async get(key) {
      validateBlobKey(key);
      const row = await find(key);
      if (row.data !== null) return toBytes(row.data);
      const parts: Uint8Array[] = [];
      for await (const c of stream(key, row)) parts.push(c);
      return concat(parts, row.size);
    },
    getStream(key) {
      validateBlobKey(key); // a bad key throws at the call site; a missing blob when read
      return stream(key);
    },
    async delete(key) {
      validateBlobKey(key);
      await transaction(sql, async (tx) => {
        await lockKey(tx, key);
        const [old] = await tx<
          { upload_id: number | null }[]
        >`DELETE FROM blobs WHERE key = ${key} RETURNING upload_id`;
        if (old?.upload_id != null) await tx`DELETE FROM blob_chunks WHERE upload_id = ${old.upload_id}`;
      });
    },
    async putIfAbsent(key, bytes) {
      validateBlobKey(key);
      if (bytes.byteLength > chunkBytes) throw new RangeError("putIfAbsent takes at most one chunk");
      await sql`INSERT INTO blobs (key, size, data, upload_id, created_at)
        VALUES (${key}, ${bytes.byteLength}, ${asBuffer(bytes)}, NULL, ${Date.now()}) ON CONFLICT (key) DO NOTHING`;
      return store.get(key);
    },
    async close() {
      await sql.end({ timeout: 5 });
    },
  };

  async function publishUpload(key: string, size: number, id: number): Promise<void> {
    try {
      await publish(key, size, null, id);
    } catch (e) {
      await dropUpload(id).catch(() => {});
      throw e;
    }
  }

  return store;
}

/** Cuts a stream of arbitrary pieces into chunks of exactly `size` bytes (the last may be shorter). */
class Chunker {
  private parts: Uint8Array[] = [];
  private held = 0;
  constructor(private readonly size: number) {}

  *push(piece: Uint8Array): Generator<Uint8Array> {
    let rest = piece;
    while (this.held + rest.byteLength >= this.size) {
      const take = this.size - this.held;
      this.parts.push(rest.subarray(0, take));
      rest = rest.subarray(take);
      yield concat(this.parts, this.size);
      this.parts = [];
      this.held = 0;
    }
    if (rest.byteLength > 0) {
      // Copied: the caller may reuse its buffer once we return.
      this.parts.push(rest.slice());
      this.held += rest.byteLength;
    }
  }

  flush(): Uint8Array | null {
    return this.held === 0 ? null : concat(this.parts, this.held);
  }
}

async function lockKey(tx: Tx, key: string): Promise<void> {
  await tx`SELECT pg_advisory_xact_lock(hashtextextended(${"tributary.blob:" + key}, 0))`;
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1 && parts[0]!.byteLength === size) return parts[0]!.slice();
  return new Uint8Array(Buffer.concat(parts, size));
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function toBytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function emptyIterator(): AsyncIterator<Uint8Array> {
  return { next: async () => ({ done: true, value: undefined }) };
}
