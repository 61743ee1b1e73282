/**
 * Root filesystems of sandboxed containers and image builds (DESIGN §2 Images): a **base** (the
 * host's system directories, or a root filesystem directory given with `--image NAME=DIR`) plus an
 * image's **layer** (what its build steps changed).
 *
 * A layer directory holds:
 * - `top/`: the root directory itself: mount points for the base's directories, its symlinks
 *   recreated, and whatever the build created at the top level (`/built.txt`, `/app`);
 * - `upper/<name>/`: the overlayfs upper directory of each base directory `/<name>`;
 * - `work/<name>/`: overlayfs work directories (only while building; removed after).
 *
 * The root is assembled by a shell script run under `unshare --mount --propagation private`, so
 * every mount it makes lives only in that new mount namespace and disappears with it; the host's
 * namespace is never touched. `bwrap`, started by the script, clones that namespace and binds the
 * assembled root at `/`. While building, the base directories are overlays whose upper is the layer
 * (a write lands in the layer, never in the base or on the host); when running, they are read-only
 * overlays of layer over base, and bwrap binds the whole root read-only.
 *
 * Invariant: the script is pure text from its inputs; paths are quoted and refused when overlayfs
 * could not name them (`,` `:` `\` or a newline), so nothing in a path can change what is mounted.
 */
import { lstatSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";

/**
 * One top-level entry of a base: a directory (overlaid), a symlink (recreated) or a regular file
 * (copied into the layer's top when it is built: top-level files are few and small).
 */
export type RootEntry =
  { name: string; kind: "dir" | "file"; path: string } | { name: string; kind: "symlink"; target: string };

/** A base root filesystem. `identity` goes into every layer hash built on it. */
export interface BaseRoot {
  /** The `baseImage` name it answers to ("" for the default image). */
  name: string;
  identity: string;
  entries: RootEntry[];
}

/** Top-level directories a base never contributes: the sandbox makes its own. */
const PROVIDED = new Set(["proc", "dev", "sys", "tmp"]);

/**
 * The top-level entries of a root filesystem directory (sockets and devices at the top are
 * ignored; `/proc`, `/dev`, `/sys` and `/tmp` are the sandbox's own).
 * @example rootEntries("/srv/rootfs/debian") // [{ name: "bin", kind: "symlink", target: "usr/bin" }, …]
 */
export function rootEntries(dir: string): RootEntry[] {
  const out: RootEntry[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (PROVIDED.has(name)) continue;
    const path = join(dir, name);
    const st = lstatSync(path);
    if (st.isSymbolicLink()) out.push({ name, kind: "symlink", target: readlinkSync(path) });
    else if (st.isDirectory()) out.push({ name, kind: "dir", path });
    else if (st.isFile()) out.push({ name, kind: "file", path });
  }
  return out;
}

/** What the script needs to assemble one root. */
export interface AssembleSpec {
  base: BaseRoot;
  /** The layer directory (holding `top/`, `upper/`, `work/`). */
  layerDir: string;
  /** "build": overlays write into the layer; "run": read-only overlays of layer over base. */
  mode: "build" | "run";
  /** An empty host directory used as the mount point inside the new namespace. */
  mountDir: string;
  /** Directories (absolute, inside the root) created while building: the container's mount points. */
  mountPoints?: string[];
}

/** Shell single-quoting. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Throws when overlayfs options could not carry `p` unambiguously. */
export function checkMountPath(p: string): string {
  if (!p.startsWith("/") || /[,:\\\n]/.test(p))
    throw new Error(`path ${JSON.stringify(p)} cannot be mounted (it must be absolute without , : \\ or newlines)`);
  return p;
}

/**
 * The script that assembles the root at `mountDir` and then runs its arguments (`exec "$@"`):
 * `unshare --mount --propagation private -- /bin/sh -c <script> tributary-root <command…>`.
 * @example const script = assembleScript({ base, layerDir, mode: "run", mountDir });
 */
export function assembleScript(s: AssembleSpec): string {
  const q = (p: string): string => shellQuote(checkMountPath(p));
  const top = join(s.layerDir, "top");
  const at = (name: string): string => q(join(s.mountDir, name));
  const lines = ["set -eu", `mount --bind ${q(top)} ${q(s.mountDir)}`];
  for (const e of s.base.entries) {
    const absent = `[ -e ${at(e.name)} ] || [ -L ${at(e.name)} ] ||`;
    if (e.kind === "symlink") {
      if (s.mode === "build") lines.push(`${absent} ln -s ${shellQuote(e.target)} ${at(e.name)}`);
      continue;
    }
    if (e.kind === "file") {
      if (s.mode === "build") lines.push(`${absent} cp -p ${q(e.path)} ${at(e.name)}`);
      continue;
    }
    const upper = join(s.layerDir, "upper", e.name);
    const work = join(s.layerDir, "work", e.name);
    // nodev: a device node made by a build step must never open a host device in a container.
    if (s.mode === "build") {
      lines.push(`mkdir -p ${at(e.name)} ${q(upper)} ${q(work)}`);
      lines.push(
        `mount -t overlay -o nodev,lowerdir=${q(e.path)},upperdir=${q(upper)},workdir=${q(work)} tributary-layer ${at(e.name)}`,
      );
    } else {
      lines.push(`mount -t overlay -o ro,nodev,nosuid,lowerdir=${q(upper)}:${q(e.path)} tributary-layer ${at(e.name)}`);
    }
  }
  if (s.mode === "build")
    for (const p of ["/proc", "/dev", "/tmp", ...(s.mountPoints ?? [])]) lines.push(`mkdir -p ${at(p.slice(1))}`);
  if (s.mode === "run") lines.push(`mount -o remount,bind,ro,nodev,nosuid ${q(s.mountDir)}`);
  lines.push('exec "$@"');
  return lines.join("\n");
}

/**
 * The command prefix that runs `command` in a new mount namespace holding the assembled root.
 * @example spawn(...[...rootWrapper(unshare, script), "bwrap", ...args])
 */
export function rootWrapper(unshare: string, script: string): string[] {
  return [unshare, "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, "tributary-root"];
}
