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
import { ipcLink, nodeArgs, type Launcher } from "../launch.js";
import { findDescendant } from "./process-tree.js";
import { SANDBOX_IMAGE_DIR, SANDBOX_INBOX_DIR, sandboxCommand, sandboxPaths } from "./sandbox-command.js";
import type { SandboxHost } from "./sandbox-host.js";

/** PATH inside a container: the image's standard directories, never the executor's. */
export const SANDBOX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface SandboxLauncherOptions {
  host: SandboxHost;
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
    const cores = o.affinity?.acquire(s.resources.cpu) ?? null;
    // Host paths under the image directory, as the container sees them.
    const root = s.imageRoot;
    const inside = (p: string): string =>
      root && (p === root || p.startsWith(`${root}/`)) ? SANDBOX_IMAGE_DIR + p.slice(root.length) : p;
    const { command, args } = sandboxCommand({
      ...o.host,
      nodeArgs: nodeArgs(s),
      bundlePath: s.bundlePath,
      imageRoot: s.imageRoot,
      inboxDir: s.inboxDir,
      cwd: root ? inside(s.cwd) : "/tmp",
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
    if (env.NODE_PATH) env.NODE_PATH = env.NODE_PATH.split(":").map(inside).join(":");
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
      userPid: () => (pid ??= child.pid === undefined ? null : findDescendant(child.pid, o.host.nodePath)),
    };
  };
}
