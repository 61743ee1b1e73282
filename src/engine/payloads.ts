/**
 * Payloads: small values inline in their row, large ones in the blob store. The threshold keeps rows
 * small (fast scans) while the common tiny value costs no extra I/O.
 */
import { randomUUID } from "node:crypto";
import type { BlobStore, Payload } from "../store/types.js";

/** Values up to this size are stored inline. */
export const INLINE_LIMIT = 64 * 1024;

/**
 * A root input at least this large is not read by the engine: the executor streams it from the blob
 * store to a file (see `Assignment.argsRef`), so a 2 GB upload never sits in a server's memory.
 */
export const BY_REFERENCE_MIN = 1024 * 1024;

export class Payloads {
  constructor(private readonly blobs: BlobStore) {}

  /** Stores `bytes` (inline or as a blob under `prefix/…`). */
  async put(prefix: string, bytes: Uint8Array, contentType: string): Promise<Payload> {
    if (bytes.byteLength <= INLINE_LIMIT) return { contentType, size: bytes.byteLength, inline: bytes, blobKey: null };
    const key = `${prefix}/${randomUUID()}`;
    await this.blobs.put(key, bytes);
    return { contentType, size: bytes.byteLength, inline: null, blobKey: key };
  }

  /** The blob reference under which a root input travels, or null when it travels as bytes. */
  static reference(p: Payload): { key: string; size: number } | null {
    return p.blobKey && p.size >= BY_REFERENCE_MIN ? { key: p.blobKey, size: p.size } : null;
  }

  async read(p: Payload): Promise<Uint8Array> {
    if (p.inline) return p.inline;
    if (p.blobKey) return this.blobs.get(p.blobKey);
    return new Uint8Array(0);
  }
}
