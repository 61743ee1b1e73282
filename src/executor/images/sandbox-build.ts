/**
 * Building an image layer inside a sandbox (the sandbox backend; DESIGN §2 Images): every step that
 * touches the filesystem runs in bubblewrap over the image's root, assembled by rootfs.ts from the
 * base and the layer with overlays whose upper directories are the layer. So a step — `apt-get
 * install` included — changes only the layer: never the base directory, never the host.
 *
 * Steps, in order, starting in the image directory `/image` (as on the OCI backend):
 * - `run`: the image's `/bin/sh -c <command>` in the current workdir, with the env set so far;
 * - `env`: sets a variable for later steps (containers get it from the assignment);
 * - `workdir`: changes the current directory (relative to `/image`; see `underRoot`), creating it;
 * - `copy`: copies a file or directory of the build context (bound read-only inside the sandbox)
 *   to `dest` (relative to the workdir, or under `/image` when absolute).
 * `workdir` and `copy` run the executor's Node inside the sandbox, so an image needs nothing but a
 * shell, and symlinks in the image resolve inside the image, never on the host.
 *
 * Privilege: a root executor runs steps as root inside the sandbox (package managers need it) with
 * the capabilities of a default OCI container: no CAP_SYS_ADMIN (no mounting, so no way out of the
 * assembled root) and no CAP_MKNOD (no device nodes).
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { ImageSpec } from "../../core/options.js";
import { ImageBuildError, NO_CONTEXT, runCommand, underRoot, walkSteps } from "./build-steps.js";
import { assembleScript, rootWrapper, type BaseRoot } from "./rootfs.js";

/** Where a build step starts, and what `workdir` and relative `copy` destinations are relative to. */
export const IMAGE_DIR = "/image";
/** Where the build context appears inside the build sandbox (on its own /tmp). */
const CONTEXT_DIR = "/tmp/.tributary-context";
/** PATH of build steps: the image's standard directories. */
const BUILD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The capabilities of a default OCI container, minus CAP_MKNOD and CAP_NET_RAW. */
const BUILD_CAPS = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_AUDIT_WRITE",
  "CAP_SETFCAP",
];

/** How this executor runs a build sandbox. */
export interface BuildSandboxHost {
  tools: { bwrap: string; unshare: string };
  /** Node inside the sandbox: the command, and [host path, sandbox path] pairs bound read-only. */
  node: { command: string[]; binds: [string, string][] };
  /** An empty host directory, the root's mount point inside each new mount namespace. */
  mountDir: string;
}

/** One sandboxed command of a build. */
export interface BuildInvocation {
  argv: string[];
  /** Working directory inside the image. */
  cwd: string;
  /** A host directory bound read-only at {@link CONTEXT_DIR} (for `copy`). */
  contextDir?: string | undefined;
}

/**
 * The full command line of one build invocation: the root assembled in a new mount namespace, then
 * bwrap over it.
 * @example spawn(...buildCommand(host, base, layerDir, { argv: ["/bin/sh", "-c", "true"], cwd: "/image" }))
 */
export function buildCommand(
  host: BuildSandboxHost,
  base: BaseRoot,
  layerDir: string,
  inv: BuildInvocation,
  mountPoints: string[] = [],
): string[] {
  const script = assembleScript({ base, layerDir, mode: "build", mountDir: host.mountDir, mountPoints });
  const bw = [host.tools.bwrap, "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"];
  bw.push("--die-with-parent", "--new-session", "--cap-drop", "ALL");
  for (const c of BUILD_CAPS) bw.push("--cap-add", c);
  bw.push("--bind", host.mountDir, "/", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp");
  for (const [from, to] of host.node.binds) bw.push("--ro-bind", from, to);
  if (inv.contextDir) bw.push("--ro-bind", inv.contextDir, CONTEXT_DIR);
  bw.push("--chdir", inv.cwd, "--", ...inv.argv);
  return [...rootWrapper(host.tools.unshare, script), ...bw];
}

/** Node code run inside the sandbox for `workdir` and `copy` (argv: op, then paths). */
const FS_SCRIPT = [
  'const fs = require("node:fs"), path = require("node:path");',
  "const [op, a, b] = process.argv.slice(1);",
  'if (op === "mkdir") fs.mkdirSync(a, { recursive: true });',
  "else { fs.mkdirSync(path.dirname(b), { recursive: true }); fs.cpSync(a, b, { recursive: true, force: true, verbatimSymlinks: true }); }",
].join("\n");

export interface LayerBuildOptions {
  host: BuildSandboxHost;
  base: BaseRoot;
  /** The layer directory being built (exists, empty). */
  layerDir: string;
  /** Where `copy` sources are read from (relative `src`), or null when the image has none. */
  contextDir: string | null;
  stepTimeoutMs: number;
  /** Directories containers need as mount points (made in the layer before any step). */
  mountPoints: string[];
}

/**
 * Runs every step of `spec` into the layer. Rejects with an `ImageBuildError` naming the step.
 * @example await buildLayer(spec, { host, base, layerDir, contextDir, stepTimeoutMs, mountPoints });
 */
export async function buildLayer(spec: ImageSpec, o: LayerBuildOptions): Promise<void> {
  const env: Record<string, string> = {
    PATH: BUILD_PATH,
    HOME: "/root",
    LANG: "C.UTF-8",
    TRIBUTARY_IMAGE_DIR: IMAGE_DIR,
  };
  const run = (inv: BuildInvocation, points: string[] = []): Promise<void> =>
    runCommand(buildCommand(o.host, o.base, o.layerDir, inv, points), { env: { ...env }, timeoutMs: o.stepTimeoutMs });
  const node = (...args: string[]): BuildInvocation => ({
    argv: [...o.host.node.command, "-e", FS_SCRIPT, ...args],
    cwd: "/",
  });
  const inImage = (rel: string): string => (rel ? `${IMAGE_DIR}/${rel}` : IMAGE_DIR);
  for (const d of ["top", "upper", "work"]) mkdirSync(join(o.layerDir, d));
  try {
    // The first invocation lays out the root: mount points, the base's symlinks, /image.
    await run(node("mkdir", IMAGE_DIR), o.mountPoints);
  } catch (e) {
    throw new ImageBuildError(
      `image ${spec.name} (${spec.id}): the build sandbox did not start: ${(e as Error).message}`,
    );
  }
  await walkSteps(spec, env, {
    workdir: (wd) => run(node("mkdir", inImage(wd))),
    run: (command, wd) => run({ argv: ["/bin/sh", "-c", command], cwd: inImage(wd) }),
    copy: (src, dest) => {
      if (!o.contextDir) throw new Error(NO_CONTEXT);
      const from = join(CONTEXT_DIR, underRoot("", src));
      return run({ ...node("copy", from, inImage(dest)), contextDir: o.contextDir });
    },
  });
  // Overlayfs scratch, needed only while writing: containers mount the layer read-only.
  rmSync(join(o.layerDir, "work"), { recursive: true, force: true });
}
