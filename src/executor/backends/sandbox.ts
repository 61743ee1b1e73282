/**
 * The `sandbox` backend (the default on Linux): each container is the executor's Node running the
 * container entry inside bubblewrap namespaces, as an unprivileged user, with its own `/tmp` of
 * exactly its ephemeral disk, pinned to ⌈cpu⌉ cores and under a data limit sized from its memory.
 * See sandbox-command.ts for what the container sees and sandbox-host.ts for detection.
 *
 * The channel is Node's IPC pipe: `spawn` with an "ipc" stdio slot hands fd 3 and NODE_CHANNEL_FD to
 * bwrap, which passes both on to Node unchanged, so messages cost the same as with a plain fork.
 *
 * Invariant: the cores a container was pinned to are released exactly once, when `bwrap` exits
 * (`--die-with-parent` and the pid namespace guarantee nothing of the container outlives it).
 */
import { spawn } from "node:child_process";
import { dataLimitBytes } from "../limits/kernel-limits.js";
import type { CpuAffinity } from "../limits/cpu-affinity.js";
import { ipcLink, nodeArgs, type Launcher, type LaunchSpec } from "../launch.js";
import { findDescendant } from "./process-tree.js";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { assembleScript, rootWrapper, shellQuote } from "../images/rootfs.js";
import { runtimeMounts } from "./node-runtime.js";
import {
  SANDBOX_INBOX_DIR,
  SANDBOX_NODE_DIR,
  sandboxCommand,
  sandboxPaths,
  type AssembledRoot,
} from "./sandbox-command.js";
import type { SandboxHost } from "./sandbox-host.js";

/** PATH inside a container: the image's standard directories, never the executor's. */
export const SANDBOX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/**
 * On an image's root: a `node` command that starts the executor's Node through its loader, last on
 * PATH (an image's own Node comes first) and the container's `process.execPath`, so a function
 * can start Node processes of its own (`child_process.fork`) on an image that has none.
 */
export const SANDBOX_NODE_WRAPPER = "/opt/tributary/bin/node";

export interface SandboxLauncherOptions {
  host: SandboxHost;
  /** An empty directory: the mount point of assembled roots inside their own namespaces. */
  mountDir: string;
  /** A directory of the executor's for files the launcher generates (the `node` wrapper). */
  runtimeDir: string;
  /** Core pinning; null when something else limits CPU (a delegated cgroup). */
  affinity: CpuAffinity | null;
}

/** Device nodes of the assigned GPUs (NVIDIA naming); the rest of /dev stays minimal. */
export function gpuDevices(gpus: string[]): string[] {
  if (gpus.length === 0) return [];
  return [...gpus.map((g) => `/dev/nvidia${g}`), "/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools"];
}

/**
 * Starts containers in the sandbox.
 * @example const launcher = sandboxLauncher({ host: support.host, affinity: new CpuAffinity() });
 */
export function sandboxLauncher(o: SandboxLauncherOptions): Launcher {
  return (s) => {
    const image = s.sandboxImage;
    // Built before the cores are taken: a runtime that cannot be mounted throws with nothing held.
    const root = image ? assembledRoot(o, image) : undefined;
    const cores = o.affinity?.acquire(s.resources.cpu) ?? null;
    const { command, args } = sandboxCommand({
      ...o.host,
      nodeArgs: nodeArgs(s),
      bundlePath: s.bundlePath,
      root,
      inboxDir: s.inboxDir,
      cwd: image?.cwd ?? "/tmp",
      diskBytes: s.resources.diskBytes,
      devices: gpuDevices(s.resources.gpus),
      cores,
      dataLimitBytes: dataLimitBytes(s.resources.memoryBytes),
    });
    const env: Record<string, string> = {
      ...s.env,
      PATH: SANDBOX_PATH,
      HOME: "/tmp",
      TMPDIR: "/tmp",
      TMP: "/tmp",
      TEMP: "/tmp",
    };
    if (image) {
      env.NODE_PATH = image.nodePath.join(":");
      env.PATH = `${SANDBOX_PATH}:${dirname(SANDBOX_NODE_WRAPPER)}`;
      env.TRIBUTARY_NODE = SANDBOX_NODE_WRAPPER;
    }
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe", "ipc"], serialization: "advanced" });
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      o.affinity?.release(cores);
    };
    child.once("exit", release);
    child.once("error", release);
    let pid: number | null = null;
    return {
      child,
      link: ipcLink(child),
      kill: () => void child.kill("SIGKILL"),
      bundlePath: sandboxPaths(s.bundlePath).bundle,
      ...(s.inboxDir ? { inboxPath: SANDBOX_INBOX_DIR } : {}),
      userPid: () =>
        (pid ??= child.pid === undefined ? null : findDescendant(child.pid, root?.node.command[0] ?? o.host.nodePath)),
    };
  };
}

/** The assembled root of a built or base image, with the executor's Node mounted in. */
function assembledRoot(o: SandboxLauncherOptions, image: NonNullable<LaunchSpec["sandboxImage"]>): AssembledRoot {
  if (o.host.mode === "root" && o.host.nodeRuntime && !o.host.nodeRuntime.tools.some((t) => t.endsWith("/setpriv")))
    throw new Error("images need setpriv to run through Node's loader on this executor");
  if (!o.host.nodeRuntime || !o.host.tools.unshare)
    throw new Error(
      `images need ${o.host.nodeRuntime ? "util-linux's unshare" : "ldd (to mount Node's libraries)"} on this executor`,
    );
  const script = assembleScript({ base: image.base, layerDir: image.layerDir, mode: "run", mountDir: o.mountDir });
  const node = runtimeMounts(o.host.nodeRuntime, SANDBOX_NODE_DIR);
  // Written on every launch (a few bytes): the same content each time, so no race matters.
  const wrapper = join(o.runtimeDir, "node-wrapper");
  writeFileSync(wrapper, `#!/bin/sh\nexec ${node.command.map(shellQuote).join(" ")} "$@"\n`, { mode: 0o755 });
  return {
    wrapper: rootWrapper(o.host.tools.unshare, script),
    mountDir: o.mountDir,
    node: { ...node, binds: [...node.binds, [wrapper, SANDBOX_NODE_WRAPPER]] },
  };
}
