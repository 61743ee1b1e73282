/** What an executor is configured with, and what a running one offers (executor.ts runs it). */
import os from "node:os";
import type { Clock } from "../core/clock.js";
import type { ExecutorCapacity, ExecutorTransportFactory } from "../core/wire/executor.js";
import type { ContainerBackend } from "./backends/kinds.js";
import type { OciEngine } from "./images/oci-run.js";

export interface ExecutorOptions {
  /** Server base URLs; the executor connects to one and rotates on failure. */
  servers: string[];
  /** The executor token presented to the servers. */
  token?: string | undefined;
  /** Where `token` came from (`"--token"`, `"TRIBUTARY_EXECUTOR_TOKEN"`), named when a server rejects it. */
  tokenSource?: string | undefined;
  region?: string | undefined;
  /** Declared CPUs (default: this machine's). */
  cpu?: number | undefined;
  /** Declared memory in GB (default: this machine's). */
  memory?: number | undefined;
  /** Declared ephemeral disk in GB (default 100). */
  disk?: number | undefined;
  gpus?: Record<string, number> | undefined;
  labels?: Record<string, string> | undefined;
  /** Base images this executor can provide. */
  images?: string[] | undefined;
  dataDir: string;
  id?: string | undefined;
  clock?: Clock | undefined;
  /** Idle time before a warm container is stopped (default 120 s). */
  containerIdleMs?: number | undefined;
  /** Grace between aborting `ctx.signal` and killing the container (default 300 ms). */
  killGraceMs?: number | undefined;
  /**
   * How to reach the server: a WebSocket to `servers` by default; `tributary dev` passes the
   * server's in-process link (`RunningServer.localTransport`). Bundles are still fetched over HTTP.
   */
  transport?: ExecutorTransportFactory | undefined;
  /**
   * Container backend: `sandbox` (Node in bubblewrap namespaces, unprivileged, with kernel-enforced
   * limits), `process` (plain Node child processes, not isolated) or `oci` (docker/podman run of each
   * function's image). Unset: `sandbox` where this machine supports it, else `process` (said once at
   * start-up). An explicit backend that cannot work here fails at start.
   */
  backend?: ContainerBackend | undefined;
  /** Where start-up notes (the backend in use, fallbacks) and failover lines go; default stderr. */
  log?: ((line: string) => void) | undefined;
  /** OCI engine to use (default: the first of docker, podman that answers). */
  ociEngine?: OciEngine | undefined;
  /** The process backend's channel: `fork` (default) or `socket` (the OCI backend's channel). */
  containerChannel?: "fork" | "socket" | undefined;
  /**
   * Called once when a server refuses this executor's token (HTTP 401/403); the executor no
   * longer connects. The CLI prints the reason and exits non-zero.
   */
  onRefused?: ((reason: string) => void) | undefined;
  /**
   * Called once, when a server first welcomes this executor (it accepted the token and the hello);
   * the CLI prints its `serving` line then, so a refused executor never claims to serve.
   */
  onServing?: ((server: string) => void) | undefined;
  /** Print container output to this process's stdout/stderr (dev mode). */
  echoLogs?: boolean | undefined;
  /** Tests only: bytes per unit of `memory` (default 2^30; env TRIBUTARY_MEMORY_UNIT_BYTES). */
  memoryUnitBytes?: number | undefined;
  /** Tests only: bytes per unit of `ephemeralDisk` (default 2^30; env TRIBUTARY_DISK_UNIT_BYTES). */
  diskUnitBytes?: number | undefined;
  /** A delegated cgroup v2 directory; unset (and no TRIBUTARY_CGROUP_ROOT): heap+rss watchdog. */
  cgroupRoot?: string | undefined;
  /**
   * The most calls of one function the executor takes in one run (the server's `assign-run`: one
   * container slot, items one after another); default 64 (`RUN_ITEMS` in executor.ts), 0: one
   * attempt at a time.
   */
  runItems?: number | undefined;
}

export interface RunningExecutor {
  id: string;
  /** The container backend in use. */
  backend: ContainerBackend;
  /** Container statistics: started and reused. */
  stats(): { started: number; reused: number; running: number };
  /** Image layers (or process-backend image directories) this executor has built. */
  imageBuilds(): number;
  /** Fault injection for tests: drops the server connection like a network failure; it reconnects. */
  dropConnection(): void;
  /** Live containers by pool key (`ns/app@version/kind:name`), for tests and diagnostics. */
  containers(): { id: string; poolKey: string; state: string }[];
  stop(): Promise<void>;
}

export function defaultCapacity(o: ExecutorOptions): ExecutorCapacity {
  return {
    cpu: o.cpu ?? os.availableParallelism(),
    memory: o.memory ?? Math.max(1, Math.floor(os.totalmem() / 2 ** 30)),
    disk: o.disk ?? 100,
    gpus: o.gpus ?? {},
  };
}
