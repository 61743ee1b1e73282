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

/** Host paths of Node (and of helper tools run the same way) and what they load. */
export interface NodeRuntime {
  node: string;
  /** Other host programs mounted beside Node (e.g. setpriv), by file name. */
  tools: string[];
  /** The dynamic loader (from `ldd`'s line without "=>"). */
  loader: { name: string; path: string };
  /** The libraries of all of them, each bound under its `ldd` name. */
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
 * The runtime of the Node at `nodePath` and of `tools` (real paths, so symlinked libraries bind
 * their files). Throws when `ldd` does not name a loader (a static or foreign binary), or names
 * another loader for a tool than for Node.
 * @example const rt = nodeRuntime(process.execPath, ["/usr/bin/setpriv"]);
 */
export function nodeRuntime(nodePath: string, tools: string[] = [], ldd = lddOf): NodeRuntime {
  const node = realpathSync(nodePath);
  const bins = [node, ...tools.map((t) => realpathSync(t))];
  let loader: string | null = null;
  const libs = new Map<string, string>();
  for (const bin of bins) {
    const parsed = parseLdd(ldd(bin));
    if (!parsed.loader || (loader && realpathSync(parsed.loader) !== realpathSync(loader)))
      throw new Error(`cannot run ${bin} through Node's dynamic loader (ldd names ${parsed.loader ?? "none"})`);
    loader = parsed.loader;
    for (const l of parsed.libs) if (!libs.has(l.name)) libs.set(l.name, realpathSync(l.path));
  }
  return {
    node,
    tools: bins.slice(1),
    loader: { name: basename(loader!), path: realpathSync(loader!) },
    libs: [...libs].map(([name, path]) => ({ name, path })),
  };
}

function lddOf(bin: string): string {
  return execFileSync("ldd", [bin], { encoding: "utf8" });
}

/** Where a runtime is mounted, and how to run its programs there. */
export interface RuntimeMounts {
  /** [host path, sandbox path] pairs, bound read-only. */
  binds: [string, string][];
  /** The command that runs Node. */
  command: string[];
  /** The command that runs each tool, by file name (e.g. `setpriv`). */
  tools: Record<string, string[]>;
}

/**
 * The read-only binds that place `rt` under `dir` inside a sandbox, and the commands that run Node
 * and the tools there.
 * @example const { binds, command } = runtimeMounts(rt, "/opt/tributary/node"); // command: [loader, "--library-path", …, node]
 */
export function runtimeMounts(rt: NodeRuntime, dir: string): RuntimeMounts {
  const lib = `${dir}/lib`;
  const via = [`${lib}/${rt.loader.name}`, "--library-path", lib];
  const binds: [string, string][] = [
    [rt.node, `${dir}/node`],
    ...rt.tools.map((t): [string, string] => [t, `${dir}/${basename(t)}`]),
    [rt.loader.path, `${lib}/${rt.loader.name}`],
    ...rt.libs.map((l): [string, string] => [l.path, `${lib}/${l.name}`]),
  ];
  const tools = Object.fromEntries(rt.tools.map((t) => [basename(t), [...via, `${dir}/${basename(t)}`]]));
  return { binds, command: [...via, `${dir}/node`], tools };
}
