/**
 * A BlobStore in a local directory: `<dir>/<key>`.
 *
 * Invariants:
 * - A blob is either absent or complete: bytes go to `<dir>/.tmp/<random>` and are renamed onto
 *   the key (rename is atomic within one filesystem), so readers and crashes never see a partial
 *   blob and a failed or oversized `putStream` leaves nothing behind.
 * - No fsync: like the SQLite store's `synchronous = NORMAL`, a finished write survives the death of
 *   the process (the bytes are in the OS page cache), not a power cut.
 */
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, rename, rm, type FileHandle } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import type { BlobStore } from "../types.js";
import { BlobNotFoundError, BlobTooLargeError, checkMaxBytes, validateBlobKey } from "./errors.js";

/**
 * @example
 * const blobs = createLocalBlobStore(".tributary/blobs");
 * await blobs.put("default/greet/req_1/input", bytes);
 * const size = await blobs.putStream("default/upload/req_2/input", req.body, 5 * 2 ** 30);
 */
export function createLocalBlobStore(dir: string): BlobStore {
  const root = resolve(dir);
  const tmpDir = join(root, ".tmp");
  const pathOf = (key: string) => {
    validateBlobKey(key);
    return join(root, key);
  };

  /** Writes through a temp file and renames it onto `key`; removes the temp file on any failure. */
  async function writeAtomically(key: string, write: (fh: FileHandle) => Promise<number>): Promise<number> {
    const target = pathOf(key);
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, randomBytes(12).toString("hex"));
    const fh = await open(tmp, "wx");
    try {
      let size: number;
      try {
        size = await write(fh);
      } finally {
        await fh.close();
      }
      await mkdir(dirname(target), { recursive: true });
      await rename(tmp, target);
      return size;
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }

  return {
    async put(key, bytes) {
      await writeAtomically(key, async (fh) => {
        await fh.writeFile(bytes);
        return bytes.byteLength;
      });
    },
    async putStream(key, body, maxBytes) {
      const limit = checkMaxBytes(maxBytes);
      return writeAtomically(key, async (fh) => {
        let size = 0;
        // Leaving the loop by throwing calls the body's return(): the upload stops being read.
        for await (const chunk of body) {
          size += chunk.byteLength;
          if (size > limit) throw new BlobTooLargeError(key, limit);
          await fh.write(chunk);
        }
        return size;
      });
    },
    async get(key) {
      try {
        const b = await readFile(pathOf(key));
        return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      } catch (e) {
        throw notFound(e, key);
      }
    },
    getStream(key) {
      const path = pathOf(key); // invalid keys throw here, synchronously, at the call site
      return (async function* () {
        try {
          for await (const chunk of createReadStream(path)) yield chunk as Uint8Array;
        } catch (e) {
          throw notFound(e, key);
        }
      })();
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
    localPath(key) {
      return pathOf(key);
    },
  };
}

function notFound(e: unknown, key: string): unknown {
  return (e as NodeJS.ErrnoException | null)?.code === "ENOENT" ? new BlobNotFoundError(key) : e;
}
