/**
 * Deploy side of the build context (core/build-context.ts): the files and directories that the
 * manifest's `Image.copy` steps name, read relative to the entry file's directory (the deploying
 * project), packed for upload with the bundle.
 *
 * Invariant: a deploy whose copy source is missing, or whose sources hold more than
 * `MAX_CONTEXT_BYTES`, fails here, before anything is uploaded, naming `Image.copy` and the source.
 */
import { lstatSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { encodeContext, MAX_CONTEXT_BYTES, type ContextEntry } from "../core/build-context.js";
import type { Manifest } from "../core/manifest.js";

/** A copy source that cannot be packed; the message names `Image.copy` and the source. */
export class BuildContextSourceError extends Error {
  override readonly name = "BuildContextSourceError";
}

/** The distinct `copy` sources of every image in `manifest`. */
export function copySources(manifest: Manifest): string[] {
  const out = new Set<string>();
  for (const f of manifest.functions) for (const s of f.image?.steps ?? []) if (s.op === "copy") out.add(s.src);
  return [...out].sort();
}

/**
 * The packed context for `manifest`, read under `baseDir`, or null when no image copies anything.
 * @example const context = collectBuildContext(manifest, dirname(entryPath));
 */
export function collectBuildContext(
  manifest: Manifest,
  baseDir: string,
  maxBytes = MAX_CONTEXT_BYTES,
): Uint8Array | null {
  const sources = copySources(manifest);
  if (sources.length === 0) return null;
  const root = resolve(baseDir);
  const entries = new Map<string, ContextEntry>();
  let total = 0;
  const add = (abs: string, recurse = true): void => {
    const path = relative(root, abs).split(sep).join("/");
    // A directory seen only as a parent is read in full when it is a source itself.
    if (entries.has(path) && !(recurse && entries.get(path)!.kind === "dir")) return;
    const st = lstatSync(abs);
    const mode = st.mode & 0o7777;
    if (st.isSymbolicLink()) entries.set(path, { path, kind: "symlink", mode, target: readlinkSync(abs) });
    else if (st.isDirectory()) {
      entries.set(path, { path, kind: "dir", mode });
      if (recurse) for (const n of readdirSync(abs).sort()) add(join(abs, n));
    } else if (st.isFile()) {
      total += st.size;
      if (total > maxBytes)
        throw new BuildContextSourceError(
          `Image.copy: the copied files hold more than ${Math.round(maxBytes / 2 ** 20)} MiB (the build context limit); copy less, or install large files in a run step`,
        );
      entries.set(path, { path, kind: "file", mode, data: readFileSync(abs) });
    }
    // Sockets, devices and FIFOs are not build inputs: left out.
  };
  for (const src of sources) {
    const abs = resolve(root, src);
    if (abs === root || !abs.startsWith(root + sep))
      throw new BuildContextSourceError(
        `Image.copy: source ${JSON.stringify(src)} must be inside ${root} (the entry file's directory), not the directory itself or above it`,
      );
    if (!lstatSync(abs, { throwIfNoEntry: false }))
      throw new BuildContextSourceError(`Image.copy: source ${JSON.stringify(src)} not found in ${root}`);
    // Parents first, so unpacking makes them with their own modes.
    const parts = relative(root, abs).split(sep);
    for (let i = 1; i < parts.length; i++) {
      const parent = join(root, ...parts.slice(0, i));
      if (lstatSync(parent).isSymbolicLink())
        throw new BuildContextSourceError(`Image.copy: source ${JSON.stringify(src)} lies under a symlink (${parent})`);
      add(parent, false);
    }
    add(abs);
  }
  return encodeContext([...entries.values()]);
}
