/**
 * The command line that starts one sandboxed container: bubblewrap builds new mount, pid, IPC (and,
 * for an unprivileged executor, user) namespaces, and runs the executor's Node on the container
 * entry inside them. Pure: everything it needs is in {@link SandboxCommandSpec}, so the argv is
 * unit-tested as written.
 *
 * What the container sees (DESIGN §2 Isolation):
 * - the image root read-only: for the default image the host's system directories (`/usr`,
 *   `/etc`, `/bin`, …, symlinks kept as symlinks); for a built image or a base image, the root
 *   assembled from base and layer (images/rootfs.ts) in the container's own mount namespace, bound
 *   read-only at `/`, with the executor's Node under `/opt/tributary/node`;
 * - the container runtime read-only under `/opt/tributary/dist/src` and its bundle under `/bundle`;
 * - its inbox read-only under `/inbox` (large request inputs the executor streamed to disk);
 * - the executor's Node read-only (already inside `/usr` on a Debian host);
 * - a private `/tmp` tmpfs of exactly `ephemeralDisk` bytes (mode 1777), `/proc` of its own pid
 *   namespace, and a minimal `/dev` (plus the GPU device nodes it was assigned).
 * Nothing else: no home directories, no data directories, no checkout, not the host's `/tmp`.
 *
 * Who it runs as: never uid 0. A root executor creates the namespaces itself (no user namespace,
 * whose uid would map back to root on the host and own every root file) and `setpriv` drops the
 * Node process to `nobody` (65534) with no capabilities and `no_new_privs` before it starts. An
 * unprivileged executor uses a user namespace, and the container keeps the executor's own uid.
 *
 * Limits wrap the whole sandbox: `taskset -c` pins it to its cores, `prlimit --data` caps its
 * private memory; both are inherited by every process inside.
 */
import { basename, dirname } from "node:path";

/** Paths inside the container. */
export const SANDBOX_RUNTIME_DIR = "/opt/tributary";
/**
 * Where the compiled `container/` and `core/` appear: the package's own `dist/src` layout, so their
 * source maps (`../../../src/core/x.ts`) resolve to `/opt/tributary/src/…` and the container's stack
 * cleaning (core/stack.ts, which finds its package root from its own path) knows those frames for
 * Tributary's own. Mounted directly under `/opt/tributary`, they resolved to `/src/…`, which the
 * cleaning kept as the user's: a failed attempt's stack showed `/src/container/main.ts` frames.
 */
export const SANDBOX_RUNTIME_SRC = `${SANDBOX_RUNTIME_DIR}/dist/src`;
export const SANDBOX_BUNDLE_DIR = "/bundle";
/** Where the executor's large inputs for this container appear, read-only. */
export const SANDBOX_INBOX_DIR = "/inbox";
/** Where the executor's Node runtime appears on an assembled root (backends/node-runtime.ts). */
export const SANDBOX_NODE_DIR = `${SANDBOX_RUNTIME_DIR}/node`;
/** Directories an assembled root must have for the container's own mounts. */
export const SANDBOX_MOUNT_POINTS = [SANDBOX_RUNTIME_DIR, SANDBOX_BUNDLE_DIR, SANDBOX_INBOX_DIR];
/** The unprivileged identity a root executor's containers run as. */
export const NOBODY = 65534;

/** One top-level host system directory: bound read-only, or recreated as the same symlink. */
export type SystemEntry = { path: string; kind: "dir" } | { path: string; kind: "symlink"; target: string };

/** Absolute paths of the host tools the command runs. */
export interface SandboxTools {
  bwrap: string;
  setpriv: string;
  taskset: string;
  prlimit: string;
}

export interface SandboxCommandSpec {
  tools: SandboxTools;
  /** "root": the executor is root (setpriv to nobody); "user": a user namespace. */
  mode: "root" | "user";
  system: SystemEntry[];
  /** Extra host paths bound read-only at the same path (the Node runtime when outside /usr). */
  extraReadOnly: string[];
  nodePath: string;
  nodeArgs: string[];
  /** Host directories of the container runtime (compiled `container/` and `core/`) and its package.json. */
  runtime: { containerDir: string; coreDir: string; packageJson: string };
  /** Host path of the application bundle (one file). */
  bundlePath: string;
  /**
   * An assembled root (a built image or a base image) instead of the system directories: the
   * command prefix that assembles it at `mountDir` in a new mount namespace (images/rootfs.ts),
   * and Node's binds and command under {@link SANDBOX_NODE_DIR}.
   */
  root?: AssembledRoot | undefined;
  /** The container's inbox on the host, bound read-only at {@link SANDBOX_INBOX_DIR}. */
  inboxDir?: string | undefined;
  /** Working directory inside the container. */
  cwd: string;
  diskBytes: number;
  /** Device nodes to expose (assigned GPUs), bound only if they exist. */
  devices: string[];
  /** Cores to pin to, or null for no pinning. */
  cores: number[] | null;
  /** RLIMIT_DATA in bytes, or null for none. */
  dataLimitBytes: number | null;
}

/** See {@link SandboxCommandSpec.root}. */
export interface AssembledRoot {
  wrapper: string[];
  mountDir: string;
  /** Node's (and setpriv's) binds and commands (backends/node-runtime.ts). */
  node: { command: string[]; binds: [string, string][]; tools: Record<string, string[]> };
}

/** The container entry and bundle paths as the container sees them. */
export function sandboxPaths(bundlePath: string): { main: string; bundle: string } {
  return { main: `${SANDBOX_RUNTIME_SRC}/container/main.js`, bundle: `${SANDBOX_BUNDLE_DIR}/${basename(bundlePath)}` };
}

/**
 * The command and arguments that start one container.
 * @example const { command, args } = sandboxCommand(spec); spawn(command, args, { stdio: ["ignore", "pipe", "pipe", "ipc"] });
 */
export function sandboxCommand(s: SandboxCommandSpec): { command: string; args: string[] } {
  const { main, bundle } = sandboxPaths(s.bundlePath);
  const bw: string[] = [
    s.tools.bwrap,
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    "--unshare-cgroup-try",
    "--die-with-parent",
  ];
  if (s.mode === "user") bw.push("--unshare-user");
  if (s.root) bw.push("--ro-bind", s.root.mountDir, "/");
  else {
    for (const e of s.system) {
      if (e.kind === "dir") bw.push("--ro-bind", e.path, e.path);
      else bw.push("--symlink", e.target, e.path);
    }
    for (const p of s.extraReadOnly) bw.push("--ro-bind", p, p);
  }
  bw.push("--proc", "/proc", "--dev", "/dev");
  for (const d of s.devices) bw.push("--dev-bind-try", d, d);
  // Exactly the quota, writable by the container's user whoever it is.
  bw.push("--size", String(Math.max(4096, Math.floor(s.diskBytes))), "--perms", "1777", "--tmpfs", "/tmp");
  if (s.root) {
    // The root is read-only: the runtime and the bundle get small tmpfs of their own (their mount
    // points, and the inbox's, are made in every layer), in which bwrap can create bind targets.
    for (const d of [SANDBOX_RUNTIME_DIR, SANDBOX_BUNDLE_DIR]) bw.push("--perms", "0755", "--tmpfs", d);
  } else {
    // Mount points bwrap would create on its own are root-only (0700): make them traversable first.
    for (const d of ["/opt", SANDBOX_RUNTIME_DIR, SANDBOX_BUNDLE_DIR, ...(s.inboxDir ? [SANDBOX_INBOX_DIR] : [])])
      bw.push("--perms", "0755", "--dir", d);
  }
  for (const d of [`${SANDBOX_RUNTIME_DIR}/dist`, SANDBOX_RUNTIME_SRC]) bw.push("--perms", "0755", "--dir", d);
  bw.push(
    "--ro-bind",
    s.runtime.containerDir,
    `${SANDBOX_RUNTIME_SRC}/container`,
    "--ro-bind",
    s.runtime.coreDir,
    `${SANDBOX_RUNTIME_SRC}/core`,
    "--ro-bind",
    s.runtime.packageJson,
    `${SANDBOX_RUNTIME_DIR}/package.json`,
    "--ro-bind",
    s.bundlePath,
    bundle,
  );
  if (s.inboxDir) bw.push("--ro-bind", s.inboxDir, SANDBOX_INBOX_DIR);
  const nodeBinds = s.root?.node.binds ?? [];
  // Directories bwrap makes for bind targets are 0700: the container's user must traverse them.
  for (const d of new Set(nodeBinds.map(([, to]) => dirname(to)))) bw.push("--perms", "0755", "--dir", d);
  for (const [from, to] of nodeBinds) bw.push("--ro-bind", from, to);
  bw.push("--chdir", s.cwd, "--");
  if (s.mode === "root") {
    bw.push(
      ...(s.root ? (s.root.node.tools.setpriv ?? ["setpriv"]) : [s.tools.setpriv]),
      "--reuid",
      String(NOBODY),
      "--regid",
      String(NOBODY),
      "--clear-groups",
      "--inh-caps=-all",
      "--bounding-set=-all",
      "--no-new-privs",
      "--",
    );
  }
  bw.push(...(s.root?.node.command ?? [s.nodePath]), ...s.nodeArgs, main);
  const wrap: string[] = [];
  if (s.cores) wrap.push(s.tools.taskset, "-c", s.cores.join(","));
  if (s.dataLimitBytes !== null) wrap.push(s.tools.prlimit, `--data=${Math.floor(s.dataLimitBytes)}`, "--");
  const argv = [...wrap, ...(s.root?.wrapper ?? []), ...bw];
  return { command: argv[0]!, args: argv.slice(1) };
}
