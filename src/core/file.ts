/**
 * `File`: bytes plus a content type. Crosses every boundary as raw bytes (an application input with a
 * non-JSON content type becomes a `File`; a returned `File` is served with its content type).
 */

const FILE_BRAND = Symbol.for("tributary.file");

/**
 * Bytes with a content type.
 *
 * @example
 * const png = new File(await readFile("cat.png"), "image/png");
 * return png; // the request output is served as image/png
 */
export class File {
  readonly bytes: Uint8Array;
  readonly contentType: string;
  constructor(bytes: Uint8Array | ArrayBuffer | string, contentType = "application/octet-stream") {
    if (typeof bytes === "string") this.bytes = new TextEncoder().encode(bytes);
    else if (bytes instanceof ArrayBuffer) this.bytes = new Uint8Array(bytes);
    else this.bytes = bytes;
    if (typeof contentType !== "string" || contentType.length === 0) {
      throw new TypeError("File contentType must be a non-empty string");
    }
    this.contentType = contentType;
    Object.defineProperty(this, FILE_BRAND, { value: true });
  }
  /** Number of bytes. */
  get size(): number {
    return this.bytes.byteLength;
  }
  /** The bytes decoded as UTF-8. */
  text(): string {
    return new TextDecoder().decode(this.bytes);
  }
}

/** True for a `File` from any copy of the SDK. */
export function isFile(v: unknown): v is File {
  return typeof v === "object" && v !== null && (v as Record<symbol, unknown>)[FILE_BRAND] === true;
}
