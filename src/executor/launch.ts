/**
 * Container backends: how a container process is started and how the executor talks to it.
 *
 * - `sandbox` (the default on Linux, see backends/sandbox.ts): Node inside bubblewrap namespaces,
 *   over the same fork channel (the IPC fd passes through bwrap).
 * - `fork` (the process backend's default): a Node child process with the fork channel.
 * - `socket`: a Node child process that connects back over a Unix socket (the OCI backend's
 *   channel, runnable without an OCI engine, which is how that channel is tested for real here).
 * - `oci`: `docker run` / `podman run` of the function's image, with the socket directory and the
 *   bundle mounted in; limits are the engine's (`--memory`, `--cpus`, a sized tmpfs at /tmp).
 *
 * Invariant: messages sent before a socket container connects are queued and delivered in order.
 */
import { fork, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeFrame, FrameDecoder } from "../core/wire/frames.js";
import type { FromContainer, ToContainer } from "../core/wire/container.js";
import { ociRunArgs, type OciEngine } from "./images/oci-run.js";
import type { SandboxImage } from "./images/sandbox-images.js";

export const CONTAINER_MAIN = fileURLToPath(new URL("../container/main.js", import.meta.url));

/** The executor's end of a container's channel. */
export interface ContainerLink {
  send(msg: ToContainer): void;
  onMessage(h: (msg: FromContainer) => void): void;
  close(): void;
}

/** A container's limits, in bytes and CPUs; `gpus` are device indexes ("0", "3"). */
export interface LaunchResources {
  cpu: number;
  memoryBytes: number;
  diskBytes: number;
  gpus: string[];
}

export interface LaunchSpec {
  id: string;
  cwd: string;
  env: Record<string, string>;
  memoryMb: number;
  /** Host path of the application bundle (mounted into sandboxed and OCI containers). */
  bundlePath: string;
  resources: LaunchResources;
  /** A built image's directory (process backend). */
  imageRoot?: string | undefined;
  /** The image a sandboxed container runs on (sandbox backend; absent: the default image). */
  sandboxImage?: SandboxImage | undefined;
  /** The OCI image to run (OCI backend). */
  ociImage?: string | undefined;
  /**
   * Host directory where the executor leaves large inputs for this container, mounted read-only
   * (see `Launched.inboxPath`).
   */
  inboxDir?: string | undefined;
}

export interface Launched {
  child: ChildProcess;
  link: ContainerLink;
  /** Stops the container for good (the engine's `kill` for OCI, SIGKILL otherwise). */
  kill(): void;
  /**
   * The host pid of the process running user code, or null until it is known. Absent: it is
   * `child.pid` (a sandbox's Node is a grandchild of the `bwrap` the executor started).
   */
  userPid?: () => number | null;
  /**
   * The host pid whose process tree is the whole container, for measuring its usage. Absent: it is
   * `child.pid`. Returning null: the container's processes are not this host process's descendants
   * (an OCI engine starts them), so only the container's own figures are known.
   */
  usageRoot?: () => number | null;
  /** The bundle path as the container sees it (absent: the host path). */
  bundlePath?: string;
  /** The inbox directory as the container sees it (absent: the host path). */
  inboxPath?: string;
}

export type Launcher = (spec: LaunchSpec) => Launched;

export const nodeArgs = (s: LaunchSpec): string[] => [
  `--max-old-space-size=${Math.max(16, Math.floor(s.memoryMb))}`,
  "--enable-source-maps",
];

/** The link over a child's Node IPC channel (`fork`, or `spawn` with an "ipc" stdio slot). */
export function ipcLink(child: ChildProcess): ContainerLink {
  return {
    send(msg) {
      if (!child.connected) return;
      // A send can race with the child's death; the exit handler reports the attempt.
      child.send(msg, () => {});
    },
    onMessage: (h) => void child.on("message", (m) => h(m as FromContainer)),
    close: () => child.disconnect?.(),
  };
}

/** The process backend over Node's fork channel. */
export const forkLauncher: Launcher = (s) => {
  const child = fork(CONTAINER_MAIN, [], {
    cwd: s.cwd,
    env: s.env,
    execArgv: nodeArgs(s),
    serialization: "advanced",
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  return { child, link: ipcLink(child), kill: () => void child.kill("SIGKILL") };
};

/** A Unix-socket link: listens before the container starts, queues until it connects. */
function socketLink(path: string): { link: ContainerLink; server: Server } {
  mkdirSync(dirname(path), { recursive: true });
  rmSync(path, { force: true });
  let socket: Socket | null = null;
  let queue: Buffer[] = [];
  let handler: (m: FromContainer) => void = () => {};
  const decoder = new FrameDecoder();
  const server = createServer((s) => {
    if (socket) return void s.destroy(); // one container, one connection
    socket = s;
    for (const f of queue) s.write(f);
    queue = [];
    s.on("data", (chunk: Buffer) => {
      for (const m of decoder.push(chunk)) handler(m as FromContainer);
    });
    s.on("error", () => {});
    server.close(); // no one else may connect
  });
  server.listen(path);
  const link: ContainerLink = {
    send(msg) {
      const frame = encodeFrame(msg);
      if (socket) socket.write(frame);
      else queue.push(frame);
    },
    onMessage: (h) => (handler = h),
    close() {
      socket?.destroy();
      server.close();
      rmSync(path, { force: true });
    },
  };
  return { link, server };
}

/** The process backend over a Unix socket (the OCI channel without an engine). */
export function socketLauncher(socketDir: string): Launcher {
  return (s) => {
    const path = join(socketDir, `${s.id}.sock`);
    const { link } = socketLink(path);
    const child = spawn(process.execPath, [...nodeArgs(s), CONTAINER_MAIN], {
      cwd: s.cwd,
      env: { ...s.env, TRIBUTARY_CONTAINER_SOCKET: path },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.once("exit", () => link.close());
    return { child, link, kill: () => void child.kill("SIGKILL") };
  };
}

/**
 * The `<engine> run` command of one OCI container (pure, so its contract is tested as generated):
 * only the container's own socket directory (made before the engine starts, so the mount never
 * races the socket's creation) and its own bundle file are bind-mounted, at their host paths
 * (so paths in messages mean the same inside and out), plus its inbox read-only. Secret values
 * travel in the engine CLI's environment, never on its command line.
 * @example const { command, args, env } = ociContainerCommand("docker", socketDir, spec);
 */
export function ociContainerCommand(
  engine: OciEngine,
  socketDir: string,
  s: LaunchSpec,
): ReturnType<typeof ociRunArgs> & { hostSocket: string } {
  if (!s.ociImage) throw new Error("the OCI backend needs an image for every container");
  const hostSocket = join(socketDir, s.id, "channel.sock");
  const { TMPDIR: _t, TMP: _t2, TEMP: _t3, HOME: _h, PATH: _p, ...env } = s.env;
  const run = ociRunArgs({
    engine,
    image: s.ociImage,
    name: s.id,
    cpu: s.resources.cpu,
    memoryBytes: s.resources.memoryBytes,
    diskBytes: s.resources.diskBytes,
    env: { ...env, TRIBUTARY_CONTAINER_SOCKET: hostSocket },
    gpus: s.resources.gpus,
  });
  // Mounts go before the image name (the last argument).
  const image = run.args.pop()!;
  run.args.push(
    "-v",
    `${dirname(hostSocket)}:${dirname(hostSocket)}`,
    "-v",
    `${s.bundlePath}:${s.bundlePath}:ro`,
    ...(s.inboxDir ? ["-v", `${s.inboxDir}:${s.inboxDir}:ro`] : []),
    image,
  );
  return { ...run, hostSocket };
}

/** The OCI backend: {@link ociContainerCommand}, over a socket link that listens first. */
export function ociLauncher(engine: OciEngine, socketDir: string): Launcher {
  return (s) => {
    const run = ociContainerCommand(engine, socketDir, s);
    const { link } = socketLink(run.hostSocket);
    // The engine CLI needs its own environment (DOCKER_HOST, HOME, …); only the names given with
    // `-e` reach the container, so nothing else of the executor's environment leaks in.
    const child = spawn(run.command, run.args, {
      env: { ...process.env, ...run.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.once("exit", () => {
      link.close();
      rmSync(dirname(run.hostSocket), { recursive: true, force: true });
    });
    return {
      child,
      link,
      // The engine's shim, not this CLI process, is the container's parent.
      usageRoot: () => null,
      kill() {
        // The CLI process is only a client: stop the container itself, then the client.
        spawn(engine, ["kill", s.id], { stdio: "ignore" }).on("error", () => {});
        child.kill("SIGKILL");
      },
    };
  };
}
