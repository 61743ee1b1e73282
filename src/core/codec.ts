/**
 * Codecs for every boundary.
 *
 * - Calls between functions: `structured` (v8 structured-clone wire format) for arguments and
 *   results, with `File` instances carried as tagged records and revived on arrival. These bytes
 *   carry one leading tag byte of ours (whether Files occur), read only by Tributary itself.
 * - Application input/output: `json` (default) or `structured`; a `File` travels as raw bytes. The
 *   application's `structured` body is exactly `v8.serialize(value)`, no framing of ours, so any Node
 *   client reads and writes it with `v8.deserialize` / `v8.serialize` ({@link encodeStructuredBody}).
 *   A `File` nested in such a value is the plain record `{ __tributary_file__: true, bytes,
 *   contentType }`, and such a record in a body is revived as a `File`.
 *
 * Invariant: encode + decode is the boundary copy. Nothing crossing a boundary is shared by
 * reference, so mutations never leak between caller, callee and retries.
 */
import v8 from "node:v8";
import { DeserializationError, SerializationError } from "./errors.js";
import { File, isFile } from "./file.js";

export const JSON_CONTENT_TYPE = "application/json";
export const STRUCTURED_CONTENT_TYPE = "application/vnd.tributary.structured";

export type Serializer = "json" | "structured";

/** An encoded value: bytes and the content type that says how to read them. */
export interface Encoded {
  bytes: Uint8Array;
  contentType: string;
}

const TAG_PLAIN = 0;
const TAG_WITH_FILES = 1;
const FILE_KEY = "__tributary_file__";

/** Walks a value graph; reports the first uncloneable thing with its path, and whether Files occur. */
function inspect(value: unknown, what: string): boolean {
  let hasFiles = false;
  const seen = new Set<object>();
  const visit = (v: unknown, path: string): void => {
    if (typeof v === "function") {
      const isFn = (v as unknown as Record<symbol, unknown>)[Symbol.for("tributary.function")] === true;
      throw new SerializationError(
        `${what} at ${path} is ${isFn ? "a Tributary function object" : "a function"}, which cannot be serialized`,
      );
    }
    if (typeof v === "symbol")
      throw new SerializationError(`${what} at ${path} is a symbol, which cannot be serialized`);
    if (typeof v !== "object" || v === null) return;
    if (seen.has(v)) return;
    seen.add(v);
    if (isFile(v)) {
      hasFiles = true;
      return;
    }
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Date || v instanceof RegExp) return;
    if (v instanceof Promise)
      throw new SerializationError(`${what} at ${path} is a Promise, which cannot be serialized`);
    if (v instanceof Map) {
      for (const [k, x] of v) {
        visit(k, `${path}<key>`);
        visit(x, `${path}.get(${String(k)})`);
      }
      return;
    }
    if (v instanceof Set) {
      for (const x of v) visit(x, `${path}<item>`);
      return;
    }
    if (Array.isArray(v)) {
      v.forEach((x, i) => visit(x, `${path}[${i}]`));
      return;
    }
    for (const k of Object.keys(v)) visit((v as Record<string, unknown>)[k], `${path}.${k}`);
  };
  visit(value, "$");
  return hasFiles;
}

/** Replaces File instances by tagged records (a fresh graph; the input is not mutated). */
function mapFiles(value: unknown, fileOut: boolean): unknown {
  const memo = new Map<object, unknown>();
  const walk = (v: unknown): unknown => {
    if (typeof v !== "object" || v === null) return v;
    if (memo.has(v)) return memo.get(v);
    if (fileOut && isFile(v)) {
      const rec = { [FILE_KEY]: true, bytes: v.bytes, contentType: v.contentType };
      memo.set(v, rec);
      return rec;
    }
    if (!fileOut && (v as Record<string, unknown>)[FILE_KEY] === true) {
      const r = v as { bytes: Uint8Array; contentType: string };
      const f = new File(r.bytes, r.contentType);
      memo.set(v, f);
      return f;
    }
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Date || v instanceof RegExp) return v;
    if (v instanceof Map) {
      const m = new Map();
      memo.set(v, m);
      for (const [k, x] of v) m.set(walk(k), walk(x));
      return m;
    }
    if (v instanceof Set) {
      const s = new Set();
      memo.set(v, s);
      for (const x of v) s.add(walk(x));
      return s;
    }
    if (Array.isArray(v)) {
      const a: unknown[] = [];
      memo.set(v, a);
      for (const x of v) a.push(walk(x));
      return a;
    }
    if (v instanceof Error) return v;
    const o: Record<string, unknown> = {};
    memo.set(v, o);
    for (const k of Object.keys(v)) o[k] = walk((v as Record<string, unknown>)[k]);
    return o;
  };
  return walk(value);
}

/** `v8.serialize` of a value whose Files were replaced by records; reports whether any occurred. */
function serializeV8(value: unknown, what: string): { body: Buffer; hasFiles: boolean } {
  const hasFiles = inspect(value, what);
  try {
    return { body: v8.serialize(hasFiles ? mapFiles(value, true) : value), hasFiles };
  } catch (e) {
    throw new SerializationError(`${what} cannot be serialized: ${(e as Error).message}`);
  }
}

function deserializeV8(bytes: Uint8Array, offset: number, what: string): unknown {
  if (bytes.byteLength <= offset) throw new DeserializationError(`${what}: empty structured payload`);
  try {
    return v8.deserialize(Buffer.from(bytes.buffer, bytes.byteOffset + offset, bytes.byteLength - offset));
  } catch (e) {
    throw new DeserializationError(`${what} cannot be deserialized: ${(e as Error).message}`);
  }
}

/**
 * Encodes any structured-cloneable value (Map, Set, Date, BigInt, typed arrays, cycles, File) for a
 * call between functions (framed with a tag byte: never use it for what a client reads).
 * @throws SerializationError naming the path of the first value that cannot cross.
 */
export function encodeStructured(value: unknown, what = "value"): Uint8Array {
  const { body, hasFiles } = serializeV8(value, what);
  const out = new Uint8Array(body.byteLength + 1);
  out[0] = hasFiles ? TAG_WITH_FILES : TAG_PLAIN;
  out.set(body, 1);
  return out;
}

/** Decodes bytes made by {@link encodeStructured}. */
export function decodeStructured(bytes: Uint8Array, what = "value"): unknown {
  const v = deserializeV8(bytes, 1, what);
  return bytes[0] === TAG_WITH_FILES ? mapFiles(v, false) : v;
}

/**
 * Encodes an application's structured input or output: exactly `v8.serialize(value)` (Files as
 * plain records), what `v8.deserialize` reads in any Node client.
 *
 * @example
 * v8.deserialize(encodeStructuredBody(new Map([["a", 1n]]))) // Map { "a" => 1n }
 */
export function encodeStructuredBody(value: unknown, what = "value"): Uint8Array {
  const { body } = serializeV8(value, what);
  return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
}

/**
 * Decodes an application's structured body (`v8.serialize` bytes from any Node client); File
 * records are revived as Files.
 *
 * @example
 * decodeStructuredBody(v8.serialize({ when: new Date(0) })) // { when: Date(0) }
 */
export function decodeStructuredBody(bytes: Uint8Array, what = "value"): unknown {
  const v = deserializeV8(bytes, 0, what);
  return hasFileRecords(v) ? mapFiles(v, false) : v;
}

/** True when a decoded graph holds a File record (so the common case skips the copy). */
function hasFileRecords(value: unknown): boolean {
  const seen = new Set<object>();
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== "object" || v === null || seen.has(v)) continue;
    seen.add(v);
    if (
      ArrayBuffer.isView(v) ||
      v instanceof ArrayBuffer ||
      v instanceof Date ||
      v instanceof RegExp ||
      v instanceof Error
    )
      continue;
    if (v instanceof Map) {
      for (const [k, x] of v) stack.push(k, x);
    } else if (v instanceof Set) {
      for (const x of v) stack.push(x);
    } else if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
    } else {
      if ((v as Record<string, unknown>)[FILE_KEY] === true) return true;
      for (const k of Object.keys(v)) stack.push((v as Record<string, unknown>)[k]);
    }
  }
  return false;
}

/** A deep copy through the structured codec: the boundary copy of calls between functions. */
export function structuredCopy<T>(value: T, what = "value"): T {
  return decodeStructured(encodeStructured(value, what), what) as T;
}

/** Shared: both are stateless for whole-buffer use, and this runs for every input and output. */
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** Encodes a value as JSON text bytes. `undefined` becomes `null`. */
export function encodeJson(value: unknown, what = "value"): Uint8Array {
  let text: string | undefined;
  try {
    text = JSON.stringify(value === undefined ? null : value, (_k, v: unknown) => {
      if (typeof v === "bigint")
        throw new SerializationError(
          `${what} contains a BigInt, which JSON cannot represent; use outputSerializer "structured"`,
        );
      if (typeof v === "function")
        throw new SerializationError(`${what} contains a function, which cannot be serialized`);
      if (isFile(v))
        throw new SerializationError(`${what} contains a nested File; a File is only supported as the whole value`);
      return v;
    });
  } catch (e) {
    if (e instanceof SerializationError) throw e;
    throw new SerializationError(`${what} cannot be serialized as JSON: ${(e as Error).message}`);
  }
  return utf8Encoder.encode(text ?? "null");
}

/** Parses JSON text bytes. */
export function decodeJson(bytes: Uint8Array, what = "value"): unknown {
  const text = utf8Decoder.decode(bytes);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DeserializationError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

/** True when a content type names JSON (`application/json`, `…+json`, with parameters). */
export function isJsonContentType(ct: string | undefined | null): boolean {
  if (!ct) return false;
  if (ct === JSON_CONTENT_TYPE) return true; // the common case, without splitting
  const base = ct.split(";")[0]!.trim().toLowerCase();
  return base === JSON_CONTENT_TYPE || base.endsWith("+json");
}

export function isStructuredContentType(ct: string | undefined | null): boolean {
  if (ct === STRUCTURED_CONTENT_TYPE) return true;
  return !!ct && ct.split(";")[0]!.trim().toLowerCase() === STRUCTURED_CONTENT_TYPE;
}

/** Encodes an application output with the application's serializer; a `File` goes out raw. */
export function encodeOutput(value: unknown, serializer: Serializer): Encoded {
  if (isFile(value)) return { bytes: value.bytes, contentType: value.contentType };
  if (serializer === "structured")
    return { bytes: encodeStructuredBody(value, "output"), contentType: STRUCTURED_CONTENT_TYPE };
  return { bytes: encodeJson(value, "output"), contentType: JSON_CONTENT_TYPE };
}

/** The arguments an application function receives: none for an empty body, else one value. */
export type DecodedInput = { present: false } | { present: true; value: unknown };

/**
 * Decodes an application input body. Empty body → no input. JSON or structured content types are
 * parsed; any other content type arrives as a `File`. A missing content type means the application's
 * deserializer.
 */
export function decodeInput(
  bytes: Uint8Array,
  contentType: string | undefined,
  deserializer: Serializer,
): DecodedInput {
  if (bytes.byteLength === 0) return { present: false };
  const ct = contentType?.trim() || (deserializer === "structured" ? STRUCTURED_CONTENT_TYPE : JSON_CONTENT_TYPE);
  if (isJsonContentType(ct)) return { present: true, value: decodeJson(bytes, "input") };
  if (isStructuredContentType(ct)) return { present: true, value: decodeStructuredBody(bytes, "input") };
  return { present: true, value: new File(bytes, ct) };
}

/** Decodes an application output body by its content type (the inverse of {@link encodeOutput}). */
export function decodeOutput(bytes: Uint8Array, contentType: string | undefined): unknown {
  if (isJsonContentType(contentType)) return decodeJson(bytes, "output");
  if (isStructuredContentType(contentType)) return decodeStructuredBody(bytes, "output");
  return new File(bytes, contentType || "application/octet-stream");
}

/** Encodes a client-side input for an application (the inverse of {@link decodeInput}). */
export function encodeInput(value: unknown, serializer: Serializer): Encoded | null {
  if (value === undefined) return null;
  if (isFile(value)) return { bytes: value.bytes, contentType: value.contentType };
  if (serializer === "structured")
    return { bytes: encodeStructuredBody(value, "input"), contentType: STRUCTURED_CONTENT_TYPE };
  return { bytes: encodeJson(value, "input"), contentType: JSON_CONTENT_TYPE };
}

/**
 * Encodes call arguments as a list of separately encoded values, so the server can build the
 * arguments of a reduce step (`[accumulator, item]`) or a map item from stored results without
 * decoding user values.
 */
export function encodeArgs(args: readonly unknown[]): Uint8Array {
  return joinArgs(args.map((a, i) => encodeStructured(a, `argument ${i}`)));
}

/** Joins already-encoded values into an argument list. */
export function joinArgs(parts: readonly Uint8Array[]): Uint8Array {
  return v8.serialize(
    parts.map((p) => (Buffer.isBuffer(p) ? new Uint8Array(p.buffer, p.byteOffset, p.byteLength) : p)),
  );
}

/** Splits an argument list into its encoded values. */
export function splitArgs(bytes: Uint8Array): Uint8Array[] {
  try {
    const parts = v8.deserialize(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as unknown;
    if (!Array.isArray(parts)) throw new Error("not a list");
    return parts as Uint8Array[];
  } catch (e) {
    throw new DeserializationError(`arguments cannot be deserialized: ${(e as Error).message}`);
  }
}

/** Decodes an argument list into values (fresh copies). */
export function decodeArgs(bytes: Uint8Array): unknown[] {
  return splitArgs(bytes).map((p, i) => decodeStructured(p, `argument ${i}`));
}
