/**
 * The executor's Node runtime as a sandbox mounts it into an image (DESIGN §2 Images: "a base
 * image needs no Node of its own"): the `node` binary and every shared library it loads, the
 * dynamic loader included, bound read-only under one directory, and Node started through that
 * loader with `--library-path`. So Node runs the same on any image (another glibc, musl, or no C
 * library at all), and nothing leaks into the image's own programs: no LD_LIBRARY_PATH, and the
 * image's `/lib` is untouched.
 *
 * One consequence: inside such an image `process.execPath` is the loader's path, not `node`.
 */
import { execFileSync } from "node:child_process";
import { realpathSync } from "node:fs";
import { basename } from "node:path";

/** Host paths of Node and what it loads, each with the file name it is bound under. */
export interface NodeRuntime {
  node: string;
  /** The dynamic loader (from `ldd`'s line without "=>"). */
  loader: { name: string; path: string };
  libs: { name: string; path: string }[];
}

/**
 * Parses `ldd` output: `name => /path (addr)` lines are libraries, a bare `/path (addr)` line is
 * the loader; `linux-vdso` and "not found" entries are skipped.
 * @example parseLdd("\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x7f…)\n\t/lib64/ld-linux-x86-64.so.2 (0x7f…)")
 */
export function parseLdd(text: string): { loader: string | null; libs: { name: string; path: string }[] } {
  let loader: string | null = null;
  const libs: { name: string; path: string }[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const lib = /^(\S+) => (\/\S+)/.exec(line);
    if (lib) libs.push({ name: lib[1]!, path: lib[2]! });
    else if (/^\/\S+ \(0x/.test(line)) loader = line.split(" ")[0]!;
  }
  return { loader, libs };
}

/**
 * The runtime of the Node at `nodePath` (real paths, so symlinked libraries bind their files).
 * Throws when `ldd` does not name a loader (a static or foreign binary).
 * @example const rt = nodeRuntime(process.execPath);
 */
export function nodeRuntime(nodePath: string, lddText?: string): NodeRuntime {
  const node = realpathSync(nodePath);
  const { loader, libs } = parseLdd(lddText ?? execFileSync("ldd", [node], { encoding: "utf8" }));
  if (!loader) throw new Error(`cannot find the dynamic loader of ${node} in ldd's output`);
  return {
    node,
    loader: { name: basename(loader), path: realpathSync(loader) },
    libs: libs.map((l) => ({ name: l.name, path: realpathSync(l.path) })),
  };
}

/**
 * The read-only binds that place `rt` under `dir` inside a sandbox, and the command that runs Node.
 * @example const { binds, command } = runtimeMounts(rt, "/opt/tributary/node"); // command: [loader, "--library-path", …, node]
 */
export function runtimeMounts(rt: NodeRuntime, dir: string): { binds: [string, string][]; command: string[] } {
  const lib = `${dir}/lib`;
  const binds: [string, string][] = [
    [rt.node, `${dir}/node`],
    [rt.loader.path, `${lib}/${rt.loader.name}`],
    ...rt.libs.map((l): [string, string] => [l.path, `${lib}/${l.name}`]),
  ];
  return { binds, command: [`${lib}/${rt.loader.name}`, "--library-path", lib, `${dir}/node`] };
}
