/**
 * `--input-file F`: the file's bytes go to the server as they are, with a content type guessed from
 * the extension. `.json` is sent as `application/json` (parsed by the server); anything else arrives
 * in the application as a `File`.
 */
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { CliError } from "./context.js";
import { pathFlag } from "./paths.js";

const TYPES: Record<string, string> = {
  ".json": "application/json",
  ".txt": "text/plain",
  ".md": "text/markdown",
  ".csv": "text/csv",
  ".html": "text/html",
  ".xml": "application/xml",
  ".yaml": "application/yaml",
  ".yml": "application/yaml",
  ".pdf": "application/pdf",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".svg": "image/svg+xml",
  ".mp3": "audio/mpeg",
  ".wav": "audio/wav",
  ".mp4": "video/mp4",
  ".zip": "application/zip",
};

/** The content type for a file name (application/octet-stream when unknown). */
export function contentTypeFor(path: string): string {
  return TYPES[extname(path).toLowerCase()] ?? "application/octet-stream";
}

/**
 * Reads an input file for invoke.
 *
 * @example
 * const { bytes, contentType } = await readInputFile("scan.pdf"); // contentType "application/pdf"
 */
export async function readInputFile(path: string): Promise<{ bytes: Uint8Array; contentType: string }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(pathFlag(path));
  } catch (e) {
    throw new CliError(
      `--input-file ${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`,
    );
  }
  return { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), contentType: contentTypeFor(path) };
}
