/**
 * The identity of an invoke's input for idempotency (docs/semantics.md "Idempotency"): the same key
 * with the same input is the same request; with another input it is refused. Two inputs are the
 * same when their media types (without parameters, case-insensitive) and their bytes are equal.
 */
import { createHash } from "node:crypto";

/** SHA-256 of `bytes`, hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * The hash stored with an idempotency key, from the input's content type and the SHA-256 of its
 * bytes (computed while streaming for a large `File` input).
 *
 * @example inputHash("application/json; charset=utf-8", sha256Hex(body)) === inputHash("application/json", sha256Hex(body)) // true
 */
export function inputHash(contentType: string | null, bytesSha256: string): string {
  const media = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  return `sha256:${createHash("sha256").update(`${media}\n${bytesSha256}`).digest("hex")}`;
}
