/**
 * `File`: bytes plus a content type. Crosses every boundary as raw bytes (an application input with a
 * non-JSON content type becomes a `File`; a returned `File` is served with its content type).
 */

const FILE_BRAND = Symbol.for("tributary.file");

/**
 * Where a `File`'s bytes come from when they are not in memory: a large request input, which the
 * executor hands to the container as a file on disk. Supplied by the runtime, never by users.
 */
export interface FileSource {
  readonly size: number;
  /** All the bytes at once (the first read of `file.bytes`). */
  read(): Uint8Array;
  /** The bytes in chunks, in order, holding at most one chunk in memory. */
  stream(): AsyncIterable<Uint8Array>;
}

/** Where a file-backed File keeps its source (not enumerable: copies see only the bytes). */
const SOURCE = Symbol("tributary.file.source");

/** Chunk size of `stream()` over bytes already in memory (views, not copies). */
const STREAM_CHUNK = 1024 * 1024;

/**
 * Bytes with a content type.
 *
 * A large request input arrives backed by a file: `size` and `contentType` cost nothing, `stream()`
 * reads it in chunks with bounded memory, and `bytes` reads it whole on first use.
 *
 * @example
 * const png = new File(await readFile("cat.png"), "image/png");
 * return png; // the request output is served as image/png
 *
 * @example
 * // A 2 GB upload, hashed without holding it in memory:
 * const hash = createHash("sha256");
 * for await (const chunk of upload.stream()) hash.update(chunk);
 */
export class File {
  declare readonly bytes: Uint8Array;
  readonly contentType: string;
  constructor(bytes: Uint8Array | ArrayBuffer | string, contentType = "application/octet-stream") {
    let b: Uint8Array;
    if (typeof bytes === "string") b = new TextEncoder().encode(bytes);
    else if (bytes instanceof ArrayBuffer) b = new Uint8Array(bytes);
    else b = bytes;
    if (typeof contentType !== "string" || contentType.length === 0) {
      throw new TypeError("File contentType must be a non-empty string");
    }
    // An own, enumerable data property, as before sources existed: code that copies or inspects a
    // File sees its bytes.
    Object.defineProperty(this, "bytes", { value: b, enumerable: true, writable: false, configurable: true });
    this.contentType = contentType;
    Object.defineProperty(this, FILE_BRAND, { value: true });
  }

  /**
   * A File whose bytes stay in `source` until read (the container runtime's large inputs).
   * @example const f = File.fromSource({ size, read, stream }, "video/mp4");
   */
  static fromSource(source: FileSource, contentType: string): File {
    const f = new File(new Uint8Array(0), contentType);
    let cached: Uint8Array | null = null;
    Object.defineProperty(f, "bytes", {
      enumerable: true,
      configurable: true,
      get: () => (cached ??= source.read()),
    });
    Object.defineProperty(f, SOURCE, { value: source });
    return f;
  }

  /** Number of bytes. */
  get size(): number {
    const source = (this as unknown as Record<symbol, FileSource | undefined>)[SOURCE];
    return source ? source.size : this.bytes.byteLength;
  }

  /** The bytes decoded as UTF-8. */
  text(): string {
    return new TextDecoder().decode(this.bytes);
  }

  /**
   * The bytes in chunks of at most 1 MiB, without reading a file-backed input into memory.
   * @example for await (const chunk of file.stream()) hash.update(chunk);
   */
  async *stream(): AsyncIterable<Uint8Array> {
    const source = (this as unknown as Record<symbol, FileSource | undefined>)[SOURCE];
    if (source) {
      yield* source.stream();
      return;
    }
    const b = this.bytes;
    for (let at = 0; at < b.byteLength; at += STREAM_CHUNK) yield b.subarray(at, at + STREAM_CHUNK);
  }
}

/** True for a `File` from any copy of the SDK. */
export function isFile(v: unknown): v is File {
  return typeof v === "object" && v !== null && (v as Record<symbol, unknown>)[FILE_BRAND] === true;
}
