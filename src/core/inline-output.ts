/**
 * The output inlined in `RequestFinished` (DESIGN.md §4): a JSON output as its JSON value, any other
 * content type as base64. Both directions live here so the server and the client agree.
 */
import { INLINE_OUTPUT_MAX_BYTES, type InlineOutput } from "./api.js";
import { isJsonContentType } from "./codec.js";

/**
 * The inline form of an output, or undefined when it is too large (or JSON that does not parse,
 * e.g. a `File` labelled JSON): the client then reads `GET …/output`.
 *
 * @example
 * inlineOutput(new TextEncoder().encode('"hi"'), "application/json"); // { content_type: "application/json", body: "hi" }
 */
export function inlineOutput(bytes: Uint8Array, contentType: string): InlineOutput | undefined {
  if (bytes.byteLength > INLINE_OUTPUT_MAX_BYTES) return undefined;
  if (isJsonContentType(contentType)) {
    try {
      return {
        content_type: contentType,
        body: JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as unknown,
      };
    } catch {
      return undefined;
    }
  }
  return {
    content_type: contentType,
    body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64"),
  };
}

/**
 * The output bytes of an inline output (the inverse of {@link inlineOutput}); undefined for a
 * malformed one, so the caller falls back to `GET …/output`.
 *
 * @example
 * const out = inlineOutputBytes(data.output);
 * if (out) decodeOutput(out.bytes, out.contentType);
 */
export function inlineOutputBytes(o: unknown): { bytes: Uint8Array; contentType: string } | undefined {
  if (typeof o !== "object" || o === null) return undefined;
  const { content_type: contentType, body } = o as Partial<InlineOutput>;
  if (typeof contentType !== "string" || !("body" in o)) return undefined;
  if (isJsonContentType(contentType))
    return { bytes: new TextEncoder().encode(JSON.stringify(body) ?? "null"), contentType };
  if (typeof body !== "string") return undefined;
  return { bytes: new Uint8Array(Buffer.from(body, "base64")), contentType };
}
