/**
 * Showing a request's output: decoded for people, faithful for pipes and `--json`.
 */
import { inspect } from "node:util";
import { decodeOutput, isJsonContentType, isStructuredContentType } from "../core/codec.js";
import type { OutputBytes } from "../client/http.js";

/** True for content types that are readable text. */
export function isTextual(contentType: string): boolean {
  const base = contentType.split(";")[0]!.trim().toLowerCase();
  return (
    base.startsWith("text/") ||
    isJsonContentType(base) ||
    base.endsWith("+xml") ||
    base === "application/xml" ||
    base === "application/yaml"
  );
}

/**
 * Writes an output for a person: JSON pretty-printed (a bare string as itself), structured values
 * inspected, text as text, and binary raw to a pipe but summarised on a terminal.
 */
export function printOutput(out: OutputBytes, hint: string, stdout: NodeJS.WriteStream = process.stdout): void {
  if (isJsonContentType(out.contentType)) {
    const v = decodeOutput(out.bytes, out.contentType);
    stdout.write((typeof v === "string" ? v : JSON.stringify(v, null, 2)) + "\n");
  } else if (isStructuredContentType(out.contentType)) {
    stdout.write(inspect(decodeOutput(out.bytes, out.contentType), { depth: null, colors: !!stdout.isTTY }) + "\n");
  } else if (isTextual(out.contentType)) {
    const text = new TextDecoder().decode(out.bytes);
    stdout.write(text.endsWith("\n") ? text : text + "\n");
  } else if (stdout.isTTY) {
    stdout.write(`<${out.bytes.byteLength} bytes of ${out.contentType}; save them with: ${hint} > FILE>\n`);
  } else {
    stdout.write(out.bytes);
  }
}

/** The JSON form of an output for `--json`: the value when JSON or text, else base64 bytes. */
export function outputAsJson(out: OutputBytes): Record<string, unknown> {
  if (isJsonContentType(out.contentType))
    return { content_type: out.contentType, output: decodeOutput(out.bytes, out.contentType) };
  if (isTextual(out.contentType)) return { content_type: out.contentType, output: new TextDecoder().decode(out.bytes) };
  return { content_type: out.contentType, output_base64: Buffer.from(out.bytes).toString("base64") };
}
