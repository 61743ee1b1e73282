/**
 * Whether this machine can run the `sandbox` backend, decided once when the executor starts: Linux,
 * bubblewrap and util-linux's `setpriv`, `taskset`, `prlimit` on the PATH, and a probe container that
 * really starts (namespaces allowed, the Node runtime runnable inside, not running as root).
 * Read-only: detection mounts nothing on the host and changes nothing but its own data directory.
 */
import { spawn } from "node:child_process";
import {
  accessSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  readlinkSync,
  realpathSync,
  writeFileSync,
} from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { nodeRuntime, type NodeRuntime } from "./node-runtime.js";
import { sandboxCommand, type SandboxCommandSpec, type SandboxTools, type SystemEntry } from "./sandbox-command.js";

/** The host directories that make the default image (a basic Debian root, read-only). */
export const SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"];

/** What every sandboxed container of this executor shares. */
export interface SandboxHost {
  /** `unshare` is absent only where util-linux is older than the rest (then images cannot run). */
  tools: SandboxTools & { unshare: string | null };
  mode: "root" | "user";
  system: SystemEntry[];
  extraReadOnly: string[];
  nodePath: string;
  /** Node and its libraries, for images (null: `ldd` could not tell them; images cannot run). */
  nodeRuntime: NodeRuntime | null;
  runtime: SandboxCommandSpec["runtime"];
}

export type SandboxSupport = { ok: true; host: SandboxHost } | { ok: false; reason: string };

function which(name: string): string | null {
  const dirs = [
    ...(process.env.PATH ?? "").split(delimiter),
    "/usr/bin",
    "/bin",
    "/usr/sbin",
    "/sbin",
    "/usr/local/bin",
  ];
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

/** The top-level system directories as they are on this host (symlinks stay symlinks). */
export function systemEntries(dirs = SYSTEM_DIRS): SystemEntry[] {
  const out: SystemEntry[] = [];
  for (const path of dirs) {
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isSymbolicLink()) out.push({ path, kind: "symlink", target: readlinkSync(path) });
    else if (st.isDirectory()) out.push({ path, kind: "dir" });
  }
  return out;
}

function under(p: string, dirs: string[]): boolean {
  return dirs.some((d) => p === d || p.startsWith(`${d}/`));
}

/**
 * The container runtime the sandbox mounts at /opt/tributary/dist/src: the compiled `container/` and `core/`
 * directories of this package, and a package.json marking them as ES modules (written once into the
 * executor's data directory; the checkout's own package.json stays invisible).
 */
export function sandboxRuntime(dataDir: string): SandboxHost["runtime"] {
  const containerDir = fileURLToPath(new URL("../../container", import.meta.url));
  const coreDir = fileURLToPath(new URL("../../core", import.meta.url));
  const dir = join(dataDir, "runtime");
  mkdirSync(dir, { recursive: true });
  const packageJson = join(dir, "package.json");
  writeFileSync(packageJson, `${JSON.stringify({ type: "module", private: true })}\n`);
  return { containerDir, coreDir, packageJson };
}

function probe(spec: SandboxCommandSpec): Promise<string | null> {
  const { command, args } = sandboxCommand(spec);
  // The probe runs a script instead of the container entry: replace the entry (last argument).
  args.splice(args.length - 1, 1, "-e", "process.exit(process.getuid() === 0 ? 3 : 0)");
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"], env: { PATH: "/usr/bin:/bin" } });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve(e.message);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(null);
      if (code === 3) return resolve("the probe container ran as root");
      resolve(
        `the probe container failed (${signal ?? `exit code ${code}`})${err.trim() ? `: ${err.trim().split("\n").slice(-2).join(" | ")}` : ""}`,
      );
    });
  });
}

/** The machine does not change while this process runs: one probe answers for every executor. */
let probed: Promise<SandboxSupport> | null = null;

/**
 * Decides whether the sandbox backend works here, by starting one probe container (once per
 * process; later calls get the same verdict with their own runtime paths).
 * @example const s = await detectSandbox(sandboxRuntime(dataDir)); if (!s.ok) console.error(s.reason);
 */
export async function detectSandbox(runtime: SandboxHost["runtime"]): Promise<SandboxSupport> {
  probed ??= detect(runtime);
  const s = await probed;
  return s.ok ? { ok: true, host: { ...s.host, runtime } } : s;
}

async function detect(runtime: SandboxHost["runtime"]): Promise<SandboxSupport> {
  if (process.platform !== "linux")
    return { ok: false, reason: `no sandbox on ${process.platform} (Linux namespaces are needed)` };
  const tools: Partial<SandboxTools> = {};
  for (const t of ["bwrap", "setpriv", "taskset", "prlimit"] as const) {
    const p = which(t);
    if (!p)
      return {
        ok: false,
        reason: `${t} is not installed (${t === "bwrap" ? "Debian package bubblewrap" : "util-linux"})`,
      };
    tools[t] = p;
  }
  const system = systemEntries();
  const bound = system.filter((e) => e.kind === "dir").map((e) => e.path);
  const nodePath = realpathSync(process.execPath);
  const extraReadOnly: string[] = [];
  if (!under(nodePath, bound)) {
    extraReadOnly.push(nodePath);
    // A Node installed under its own prefix (nvm, the official tarball) keeps its libraries beside it.
    const lib = join(dirname(dirname(nodePath)), "lib");
    if (existsSync(lib) && !under(lib, bound)) extraReadOnly.push(lib);
  }
  let runtimeOfNode: NodeRuntime | null = null;
  try {
    // setpriv too: on an image's root, the drop to nobody must not need the image's own.
    runtimeOfNode = nodeRuntime(nodePath, tools.setpriv ? [tools.setpriv] : []);
  } catch {
    /* images will say so when one is asked for */
  }
  const host: SandboxHost = {
    tools: { ...(tools as SandboxTools), unshare: which("unshare") },
    mode: process.getuid?.() === 0 ? "root" : "user",
    system,
    extraReadOnly,
    nodePath,
    nodeRuntime: runtimeOfNode,
    runtime,
  };
  const failed = await probe({
    ...host,
    nodeArgs: [],
    bundlePath: runtime.packageJson,
    cwd: "/tmp",
    diskBytes: 2 ** 20,
    devices: [],
    cores: null,
    dataLimitBytes: null,
  });
  return failed ? { ok: false, reason: failed } : { ok: true, host };
}
