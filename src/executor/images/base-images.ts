/**
 * The base images an executor provides (`executor --image …`, DESIGN §2 Images), by backend:
 * - `NAME=DIR`: a root filesystem directory, read as it is (never written: builds write layers);
 * - `NAME=oci:PATH`: an OCI image layout or a `docker save` archive, unpacked once into
 *   `<dataDir>/bases/` (oci-unpack.ts) and then used like a directory;
 * - `NAME` alone: a placement label without a root filesystem, which only the `process` backend
 *   (whose functions run on the host anyway) accepts. The `oci` backend provides any base itself.
 * The executor advertises the names, so placement sends a function only where its base exists.
 */
import { lstatSync, statSync } from "node:fs";
import { realpathSync } from "node:fs";
import type { ContainerBackend } from "../backends/kinds.js";
import { rootEntries, type BaseRoot } from "./rootfs.js";

/** One `--image` value, parsed. */
export interface ImageFlag {
  name: string;
  source: { kind: "dir" | "oci"; path: string } | null;
}

/**
 * Parses `NAME`, `NAME=DIR` or `NAME=oci:PATH`.
 * @example parseImageFlag("test=/srv/rootfs") // { name: "test", source: { kind: "dir", path: "/srv/rootfs" } }
 */
export function parseImageFlag(value: string): ImageFlag {
  const eq = value.indexOf("=");
  if (eq < 0) return { name: value, source: null };
  const name = value.slice(0, eq);
  const target = value.slice(eq + 1);
  if (!name || !target)
    throw new Error(`executor option images: ${JSON.stringify(value)} is not NAME=DIR or NAME=oci:PATH`);
  return target.startsWith("oci:")
    ? { name, source: { kind: "oci", path: target.slice(4) } }
    : { name, source: { kind: "dir", path: target } };
}

/**
 * Checks the flags against the backend; throws an error naming the option when they cannot work.
 * @example checkImageFlags(flags, "sandbox");
 */
export function checkImageFlags(flags: ImageFlag[], backend: ContainerBackend): void {
  for (const f of flags) {
    if (backend === "sandbox" && !f.source)
      throw new Error(
        `executor option images: "${f.name}" names no root filesystem, and the sandbox backend runs functions on their base's own root: use --image ${f.name}=DIR or --image ${f.name}=oci:PATH`,
      );
    if (backend !== "sandbox" && f.source)
      throw new Error(
        `executor option images: "${f.name}=${f.source.kind === "oci" ? "oci:" : ""}${f.source.path}" needs the sandbox backend (this executor uses the ${backend} backend)`,
      );
  }
}

/**
 * A base from a root filesystem directory. Its identity (part of every layer's hash) covers the
 * directory's real path and its top-level entries' change times, so replacing a base rebuilds.
 * @example const base = dirBase("test", "/srv/rootfs");
 */
export function dirBase(name: string, dir: string): BaseRoot {
  let real: string;
  try {
    real = realpathSync(dir);
    if (!statSync(real).isDirectory()) throw new Error("not a directory");
  } catch (e) {
    throw new Error(`executor option images: ${name}=${dir}: ${(e as Error).message}`, { cause: e });
  }
  const entries = rootEntries(real);
  const stamp = entries.map((e) => `${e.name}:${lstatSync(`${real}/${e.name}`).ctimeMs}`).join(",");
  return { name, identity: `dir:${real}:${stamp}`, entries };
}
