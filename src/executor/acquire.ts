/**
 * A container for an attempt: what the attempt needs from the server first (a root's input,
 * fetched by reference; the application bundle), then its image (built once per executor), then a
 * container of its pool key from the pool, warm or started for it. The first attempt of a pool key
 * also starts the key's warm pool (`warmContainers`, `minContainers`).
 *
 * Invariants:
 * - a pool key names everything fixed when a container starts: the application version, the
 *   function or class, and the GPUs (CUDA_VISIBLE_DEVICES is fixed at fork);
 * - not getting what the attempt needs from the server is an `internal_error` (retried without using
 *   up the policy); a container or constructor that fails to start is the function's
 *   (`function_error`, or `function_timeout` past its init timeout).
 */
import { randomUUID } from "node:crypto";
import { toPlainError, type PlainError } from "../core/errors.js";
import type { FailureReason } from "../core/status.js";
import type { AttemptRun } from "./attempt-run.js";
import type { ContainerBackend } from "./backends/kinds.js";
import type { BundleCache } from "./bundles.js";
import {
  containerInboxDir,
  containerTmpDir,
  type ContainerOptions,
  type ContainerProcess,
} from "./container-process.js";
import { isImageBuildError } from "./images/build-steps.js";
import type { ExecutorImages } from "./images/executor-images.js";
import type { InputSpool } from "./inputs.js";
import type { Launcher } from "./launch.js";
import type { ContainerLimits } from "./limits/container-limits.js";
import type { ContainerPool } from "./pool.js";

export interface AcquireDeps {
  dataDir: string;
  spool: InputSpool;
  bundles: BundleCache;
  images: ExecutorImages;
  pool: ContainerPool;
  limits: ContainerLimits;
  backend: ContainerBackend;
  launcher: Launcher;
  /** Where a container's messages, output and exit go (container-relay.ts). */
  onMessage: ContainerOptions["onMessage"];
  onLog: ContainerOptions["onLog"];
  onExit: ContainerOptions["onExit"];
  /** Ends `run` with a failure (results.ts). */
  fail(run: AttemptRun, reason: FailureReason, error: PlainError): void;
}

export class Acquirer {
  /** Pool keys whose warm pool was started (warmContainers start once, when first seen). */
  private readonly warmed = new Set<string>();

  constructor(private readonly d: AcquireDeps) {}

  /**
   * A container for `run`, with its input file; null when that failed (then `run` has failed). The
   * caller checks whether `run` was cancelled meanwhile.
   */
  async acquire(run: AttemptRun): Promise<{ container: ContainerProcess; inputFile: string | null } | null> {
    const { spool, bundles, images, pool, limits, backend, launcher } = this.d;
    const a = run.a;
    let inputFile: string | null;
    let bundlePath: string;
    try {
      inputFile = a.argsRef ? await spool.fetch(a.attemptId, a.argsRef) : null;
      bundlePath = await bundles.path(a.bundleKey);
    } catch (e) {
      // The server or the network failed us (e.g. the server died mid-download), not the
      // function: an internal error, retried without using up the retry policy.
      this.d.fail(run, "internal_error", { ...toPlainError(e), functionName: a.functionName });
      return null;
    }
    try {
      // Built once per executor, in a build sandbox on the sandbox backend (executor-images.ts).
      const { sandboxImage, image, ociImage } = await images.prepare(a.spec.image, a.bundleKey);
      // CUDA_VISIBLE_DEVICES is fixed at fork: a container only serves calls given the same devices.
      const poolKey = `${a.namespace}/${a.application}@${a.version}/${a.target.kind}:${a.target.name}${a.gpus.length ? `#${a.gpus.join(",")}` : ""}`;
      const create = () => {
        const cid = `c-${randomUUID().slice(0, 8)}`;
        const tmpDir = containerTmpDir(this.d.dataDir, cid);
        const env = {
          ...a.env,
          ...(a.gpus.length ? { CUDA_VISIBLE_DEVICES: a.gpus.map((g) => g.split(":")[1]).join(",") } : {}),
          ...(image ? { NODE_PATH: image.nodePath.join(":") } : {}),
        };
        return {
          id: cid,
          poolKey,
          bundlePath,
          target: a.target,
          memoryMb: limits.heapMb(a.spec),
          tmpDir,
          inboxDir: containerInboxDir(this.d.dataDir, cid),
          cwd: image?.cwd,
          env,
          onMessage: this.d.onMessage,
          onLog: this.d.onLog,
          // The sandbox's /tmp is a tmpfs of exactly the quota: the kernel enforces the disk there.
          onSpawn: (c: ContainerProcess) => limits.attach(c, a.spec, backend === "sandbox" ? null : tmpDir),
          launcher,
          resources: {
            cpu: a.spec.cpu,
            memoryBytes: limits.memoryBytes(a.spec),
            diskBytes: limits.diskBytes(a.spec),
            gpus: a.gpus.map((g) => g.split(":")[1]!),
          },
          imageRoot: image?.root,
          sandboxImage: sandboxImage ?? undefined,
          ociImage: ociImage ?? undefined,
          onExit: (c: ContainerProcess, code: number | null, signal: NodeJS.Signals | null) => {
            limits.detach(c); // first: a kernel OOM kill becomes the container's kill reason
            this.d.onExit(c, code, signal);
          },
        };
      };
      const container = await pool.acquire(poolKey, create, a.initTimeoutMs);
      const warm = Math.max(a.spec.warmContainers, a.spec.minContainers);
      if (warm > 0 && !this.warmed.has(poolKey)) {
        this.warmed.add(poolKey);
        pool.prewarm(poolKey, warm, a.spec.minContainers, create, a.initTimeoutMs);
      }
      return { container, inputFile };
    } catch (e) {
      const plain: PlainError = toPlainError(e);
      const timedOut = plain.name === "TimeoutError";
      if (isImageBuildError(e)) this.d.fail(run, "function_error", { ...plain, functionName: a.functionName });
      else
        this.d.fail(run, timedOut ? "function_timeout" : "function_error", {
          ...plain,
          message: timedOut
            ? `${a.target.kind === "class" ? "class constructor" : "container start"} of ${a.functionName} did not finish within ${a.initTimeoutMs / 1000} s`
            : `${a.target.kind === "class" ? `constructor of ${a.target.name} failed` : "container failed to start"}: ${plain.message}`,
          functionName: a.functionName,
        });
      return null;
    }
  }
}
