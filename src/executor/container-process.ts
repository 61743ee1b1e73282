/**
 * One container: a Node child process hosting one function (or class) of one application version.
 *
 * Container lifecycle: starting → ready ⇄ busy → exited. `init` resolves when the bundle is loaded
 * (and the class constructed) or rejects on failure/timeout; a container that failed init, timed out
 * or was killed never serves again.
 *
 * Limits: the V8 heap limit (`--max-old-space-size`) from the function's memory; the executor's
 * watchdog adds RSS and disk checks. `TMPDIR` is the container's own directory, erased on exit.
 */
import type { ChildProcess } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { LOG_MARK } from "../core/wire/container.js";
import { plainError, type PlainError } from "../core/errors.js";
import type { ContainerTarget, FromContainer, ToContainer } from "../core/wire/container.js";
import { forkLauncher, type Launched, type LaunchSpec, type Launcher } from "./launch.js";

export interface ContainerOptions {
  id: string;
  poolKey: string;
  bundlePath: string;
  target: ContainerTarget;
  /** Memory limit in MB for the V8 heap. */
  memoryMb: number;
  /** Directory for the container's temp files (created, and erased on exit). */
  tmpDir: string;
  /** Working directory (an image directory), or the temp dir when absent. */
  cwd?: string | undefined;
  env: Record<string, string>;
  onMessage: (c: ContainerProcess, msg: FromContainer) => void;
  onLog: (c: ContainerProcess, stream: "stdout" | "stderr", line: string) => void;
  onExit: (c: ContainerProcess, code: number | null, signal: NodeJS.Signals | null) => void;
  /** Called once right after the fork (resource limits attach here, before the bundle loads). */
  onSpawn?: ((c: ContainerProcess) => void) | undefined;
  /** The container backend (default: a forked Node process). */
  launcher?: Launcher | undefined;
  /** The container's limits (see LaunchSpec). */
  resources: LaunchSpec["resources"];
  /** A built image's directory (process backend). */
  imageRoot?: LaunchSpec["imageRoot"];
  /** The image of a sandboxed container (sandbox backend). */
  sandboxImage?: LaunchSpec["sandboxImage"];
  /** The OCI image (OCI backend). */
  ociImage?: string | undefined;
  /** Directory for large inputs handed to this container (created, and erased on exit). */
  inboxDir?: string | undefined;
}

export type ContainerState = "starting" | "ready" | "busy" | "exited";

export class ContainerProcess {
  readonly id: string;
  readonly poolKey: string;
  readonly child: ChildProcess;
  state: ContainerState = "starting";
  /** The attempt being served, if busy. */
  attemptId: string | null = null;
  lastUsed = Date.now();
  /** When its current call began (0 while not serving one); the pool's demand rule reads it. */
  busySince = 0;
  /** Its current call waits on child calls. */
  blocked = false;
  /** Why the executor killed it, if it did (decides the failure reason of the running attempt). */
  killReason: "timeout" | "cancelled" | "out_of_memory" | "disk_quota_exceeded" | "reaped" | null = null;
  /** What a limit kill measured (e.g. "memory used 80.1 MB, limit 64.0 MB"), for the failure message. */
  killDetail: string | null = null;
  /** Attempts started on this container (the first one, on a container not prewarmed, counts its start). */
  attemptsServed = 0;
  /** Started ahead of demand (`warmContainers`), not for an attempt. */
  prewarmed = false;
  /** Last stderr lines, to explain a crash. */
  readonly stderrTail: string[] = [];
  private initWaiter: { resolve: () => void; reject: (e: PlainError) => void } | null = null;
  private readonly launched: Launched;

  constructor(private readonly opts: ContainerOptions) {
    this.id = opts.id;
    this.poolKey = opts.poolKey;
    mkdirSync(opts.tmpDir, { recursive: true });
    if (opts.inboxDir) mkdirSync(opts.inboxDir, { recursive: true });
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
      LANG: process.env.LANG ?? "C.UTF-8",
      HOME: opts.tmpDir,
      TMPDIR: opts.tmpDir,
      TMP: opts.tmpDir,
      TEMP: opts.tmpDir,
      TRIBUTARY_CONTAINER_ID: opts.id,
      ...(process.env.TRIBUTARY_REGIONS ? { TRIBUTARY_REGIONS: process.env.TRIBUTARY_REGIONS } : {}),
      ...opts.env,
    };
    this.launched = (opts.launcher ?? forkLauncher)({
      id: opts.id,
      cwd: opts.cwd ?? opts.tmpDir,
      env,
      memoryMb: opts.memoryMb,
      bundlePath: opts.bundlePath,
      resources: opts.resources,
      imageRoot: opts.imageRoot,
      sandboxImage: opts.sandboxImage,
      ociImage: opts.ociImage,
      inboxDir: opts.inboxDir,
    });
    this.child = this.launched.child;
    this.launched.link.onMessage((m) => this.onMessage(m));
    this.child.on("exit", (code, signal) => this.onExit(code, signal));
    this.child.on("error", () => {
      /* spawn errors surface as exit */
    });
    for (const stream of ["stdout", "stderr"] as const) {
      const rl = createInterface({ input: this.child[stream]!, crlfDelay: Infinity });
      rl.on("line", (line) => {
        if (stream === "stderr" && !line.startsWith(LOG_MARK)) {
          this.stderrTail.push(line);
          if (this.stderrTail.length > 20) this.stderrTail.shift();
        }
        opts.onLog(this, stream, line);
      });
    }
    opts.onSpawn?.(this);
  }

  /** The host pid of the process running user code (-1 while unknown). */
  get pid(): number {
    if (this.launched.userPid) return this.launched.userPid() ?? -1;
    return this.child.pid ?? -1;
  }

  /** The host pid whose process tree is the container (see `Launched.usageRoot`), or null. */
  get usageRootPid(): number | null {
    if (this.state === "exited") return null;
    if (this.launched.usageRoot) return this.launched.usageRoot();
    return this.child.pid ?? null;
  }

  /** Loads the bundle (and constructs the class); rejects with the init error. */
  init(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.initWaiter = { resolve, reject };
      this.send({ t: "init", bundlePath: this.launched.bundlePath ?? this.opts.bundlePath, target: this.opts.target });
    });
  }

  /** The host directory for inputs handed to this container, and how the container sees it. */
  get inbox(): { host: string; inside: string } | null {
    const host = this.opts.inboxDir;
    return host ? { host, inside: this.launched.inboxPath ?? host } : null;
  }

  send(msg: ToContainer): void {
    if (this.state === "exited") return;
    this.launched.link.send(msg);
  }

  kill(reason: NonNullable<ContainerProcess["killReason"]>): void {
    if (this.state === "exited") return;
    this.killReason ??= reason;
    this.launched.kill();
  }

  /** Called once when the container's Node is up, before it loads user code. */
  onBooted: (() => void) | null = null;

  private onMessage(msg: FromContainer): void {
    if (msg.t === "booted") {
      this.onBooted?.();
      this.onBooted = null;
      return;
    }
    if (msg.t === "ready") {
      this.state = "ready";
      this.initWaiter?.resolve();
      this.initWaiter = null;
      return;
    }
    if (msg.t === "init-failed") {
      this.initWaiter?.reject(msg.error);
      this.initWaiter = null;
      this.kill("reaped");
      return;
    }
    this.opts.onMessage(this, msg);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.state = "exited";
    if (this.initWaiter) {
      const tail = this.stderrTail.slice(-5).join("\n");
      this.initWaiter.reject(
        this.killReason === "timeout"
          ? plainError("TimeoutError", "start-up did not finish in time")
          : plainError(
              "InternalError",
              `container exited during start-up (code ${code}, signal ${signal})${tail ? `: ${tail}` : ""}`,
            ),
      );
      this.initWaiter = null;
    }
    try {
      rmSync(this.opts.tmpDir, { recursive: true, force: true });
      if (this.opts.inboxDir) rmSync(this.opts.inboxDir, { recursive: true, force: true });
    } catch {
      /* best effort: the executor sweeps its data dir on start */
    }
    this.opts.onExit(this, code, signal);
  }
}

/** The temp directory of a container under the executor's data dir. */
export function containerTmpDir(dataDir: string, id: string): string {
  return join(dataDir, "containers", id, "tmp");
}

/** The inbox of a container under the executor's data dir (beside, never inside, its temp dir). */
export function containerInboxDir(dataDir: string, id: string): string {
  return join(dataDir, "containers", id, "inbox");
}
