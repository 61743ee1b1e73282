/**
 * Blob keys and the errors every BlobStore raises. Errors carry a `code` so the HTTP layer can map
 * them (400 / 404 / 413) without `instanceof` across module copies.
 */

/** A key that is not a relative path of safe segments. */
export class InvalidBlobKeyError extends Error {
  readonly code = "invalid_blob_key";
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid blob key ${JSON.stringify(key)}: ${reason}`);
    this.name = "InvalidBlobKeyError";
  }
}

/** `get`/`getStream` of a key that holds no blob. */
export class BlobNotFoundError extends Error {
  readonly code = "blob_not_found";
  constructor(readonly key: string) {
    super(`blob not found: ${JSON.stringify(key)}`);
    this.name = "BlobNotFoundError";
  }
}

/** `putStream` received more than `maxBytes`; nothing was stored. */
export class BlobTooLargeError extends Error {
  readonly code = "blob_too_large";
  constructor(
    readonly key: string,
    readonly maxBytes: number,
  ) {
    super(`blob ${JSON.stringify(key)} exceeds the limit of ${maxBytes} bytes`);
    this.name = "BlobTooLargeError";
  }
}

const MAX_KEY_LENGTH = 1024;
// A segment starts with a letter, digit, `_` or `-`: this rules out `.`, `..` and hidden names, so
// the store's own `.tmp` directory can never collide with a key.
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/**
 * Throws {@link InvalidBlobKeyError} unless `key` is a relative path of `/`-separated segments of
 * `[A-Za-z0-9._-]` that do not start with a dot.
 *
 * @example
 * validateBlobKey("default/greet/req_1/input"); // ok
 * validateBlobKey("../etc/passwd");             // throws
 */
export function validateBlobKey(key: string): void {
  if (typeof key !== "string" || key.length === 0) throw new InvalidBlobKeyError(String(key), "empty");
  if (key.length > MAX_KEY_LENGTH)
    throw new InvalidBlobKeyError(key.slice(0, 64) + "…", `longer than ${MAX_KEY_LENGTH} characters`);
  if (key.startsWith("/")) throw new InvalidBlobKeyError(key, "absolute paths are not allowed");
  for (const seg of key.split("/")) {
    if (seg === "") throw new InvalidBlobKeyError(key, "empty path segment");
    if (seg === "." || seg === "..") throw new InvalidBlobKeyError(key, `"${seg}" segments are not allowed`);
    if (!SEGMENT.test(seg)) {
      throw new InvalidBlobKeyError(
        key,
        `segment ${JSON.stringify(seg)} must be [A-Za-z0-9._-] and not start with "."`,
      );
    }
  }
}

/** Validates an optional size limit. */
export function checkMaxBytes(maxBytes: number | undefined): number {
  if (maxBytes === undefined) return Infinity;
  if (!(maxBytes >= 0) || !Number.isFinite(maxBytes))
    throw new RangeError(`maxBytes must be a finite number >= 0, got ${maxBytes}`);
  return maxBytes;
}
