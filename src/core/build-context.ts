/**
 * The build context: the files an application's `Image.copy` steps read, uploaded with its bundle
 * at deploy (DESIGN §2 Images: copy sources come from the deployed bundle's context, never from
 * the executor's disk). Pure encoding, shared by the client that packs it, the server that checks
 * it and the executor that unpacks it.
 *
 * Format: the magic line `TRIBCTX1\n`, then per entry a 4-byte big-endian header length, a JSON
 * header `{ path, kind, mode, size?, target? }` and, for files, `size` bytes of content.
 *
 * Invariants checked by {@link decodeContext} (the executor writes what it decodes, as root):
 * every path is relative, normalized, without `.`/`..` components; no entry lies under a symlink
 * entry (so unpacking into an empty directory never writes through a link); paths are unique.
 */

/** The most a build context may hold (file contents), in bytes. */
export const MAX_CONTEXT_BYTES = 64 * 2 ** 20;

/**
 * The blob key of a bundle's build context (served by the same internal route as bundles).
 * @example contextKey("bundles/default/ab12") // "bundles/default/ab12-context"
 */
export function contextKey(bundleKey: string): string {
  return `${bundleKey}-context`;
}

const MAGIC = new TextEncoder().encode("TRIBCTX1\n");

export interface ContextEntry {
  /** Relative to the context root, `/`-separated. */
  path: string;
  kind: "file" | "dir" | "symlink";
  /** Permission bits. */
  mode: number;
  /** File content (files only). */
  data?: Uint8Array;
  /** Link target (symlinks only). */
  target?: string;
}

/**
 * Packs entries into one buffer.
 * @example const bytes = encodeContext([{ path: "assets", kind: "dir", mode: 0o755 }]);
 */
export function encodeContext(entries: ContextEntry[]): Uint8Array {
  const parts: Uint8Array[] = [MAGIC];
  for (const e of entries) {
    const header = new TextEncoder().encode(
      JSON.stringify({ path: e.path, kind: e.kind, mode: e.mode, size: e.data?.byteLength, target: e.target }),
    );
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, header.byteLength);
    parts.push(len, header);
    if (e.kind === "file") parts.push(e.data ?? new Uint8Array());
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** A malformed or unsafe build context. */
export class BuildContextError extends Error {
  override readonly name = "BuildContextError";
}

function checkPath(p: unknown): string {
  if (typeof p !== "string" || p === "" || p.startsWith("/") || p.includes("\0"))
    throw new BuildContextError(`build context: invalid path ${JSON.stringify(p)}`);
  if (p.split("/").some((c) => c === "" || c === "." || c === ".."))
    throw new BuildContextError(`build context: path ${JSON.stringify(p)} is not normalized`);
  return p;
}

/**
 * Unpacks and checks a buffer made by {@link encodeContext}.
 * @example for (const e of decodeContext(bytes)) console.log(e.kind, e.path);
 */
export function decodeContext(bytes: Uint8Array): ContextEntry[] {
  if (bytes.byteLength < MAGIC.byteLength || MAGIC.some((b, i) => bytes[i] !== b))
    throw new BuildContextError("build context: not a Tributary build context");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: ContextEntry[] = [];
  const kinds = new Map<string, ContextEntry["kind"]>();
  let at = MAGIC.byteLength;
  while (at < bytes.byteLength) {
    if (at + 4 > bytes.byteLength) throw new BuildContextError("build context: truncated");
    const len = view.getUint32(at);
    at += 4;
    if (at + len > bytes.byteLength) throw new BuildContextError("build context: truncated");
    let h: { path?: unknown; kind?: unknown; mode?: unknown; size?: unknown; target?: unknown };
    try {
      h = JSON.parse(new TextDecoder().decode(bytes.subarray(at, at + len))) as typeof h;
    } catch {
      throw new BuildContextError("build context: a header is not JSON");
    }
    at += len;
    const path = checkPath(h.path);
    if (kinds.has(path)) throw new BuildContextError(`build context: ${path} appears twice`);
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++)
      if (kinds.get(parts.slice(0, i).join("/")) === "symlink")
        throw new BuildContextError(`build context: ${path} lies under a symlink`);
    const mode = typeof h.mode === "number" ? h.mode & 0o7777 : 0o644;
    if (h.kind === "file") {
      const size = h.size ?? 0;
      if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0 || at + size > bytes.byteLength)
        throw new BuildContextError(`build context: bad size for ${path}`);
      out.push({ path, kind: "file", mode, data: bytes.subarray(at, at + size) });
      at += size;
    } else if (h.kind === "dir") out.push({ path, kind: "dir", mode });
    else if (h.kind === "symlink" && typeof h.target === "string" && h.target !== "")
      out.push({ path, kind: "symlink", mode, target: h.target });
    else throw new BuildContextError(`build context: bad entry ${path}`);
    kinds.set(path, out[out.length - 1]!.kind);
  }
  return out;
}
