/**
 * An in-memory BlobStore for tests: same key rules, limits and errors as the local one. Values are
 * copied in and out, so callers can never mutate a stored blob.
 */
import type { BlobStore } from "../types.js";
import { BlobNotFoundError, BlobTooLargeError, checkMaxBytes, validateBlobKey } from "./errors.js";

/**
 * @example
 * const blobs = createMemoryBlobStore();
 * await blobs.put("a/b", new Uint8Array([1, 2]));
 */
export function createMemoryBlobStore(): BlobStore {
  const blobs = new Map<string, Uint8Array>();
  const read = (key: string): Uint8Array => {
    validateBlobKey(key);
    const b = blobs.get(key);
    if (!b) throw new BlobNotFoundError(key);
    return b;
  };
  return {
    async put(key, bytes) {
      validateBlobKey(key);
      blobs.set(key, bytes.slice());
    },
    async putStream(key, body, maxBytes) {
      validateBlobKey(key);
      const limit = checkMaxBytes(maxBytes);
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of body) {
        size += chunk.byteLength;
        if (size > limit) throw new BlobTooLargeError(key, limit);
        chunks.push(chunk.slice());
      }
      blobs.set(key, new Uint8Array(Buffer.concat(chunks, size)));
      return size;
    },
    async get(key) {
      return read(key).slice();
    },
    getStream(key) {
      validateBlobKey(key); // like the local store: a bad key throws at once, a missing blob on reading
      return (async function* () {
        yield read(key).slice();
      })();
    },
    async delete(key) {
      validateBlobKey(key);
      blobs.delete(key);
    },
  };
}
