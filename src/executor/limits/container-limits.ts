/**
 * Resource enforcement for the containers of one executor: turns a function's `memory`, `cpu` and
 * `ephemeralDisk` into byte limits (see units.ts), attaches a watchdog (and, where enabled, a
 * cgroup) to each container process, and explains a kill.
 *
 * Invariants: a container is attached at most once and detached exactly once (on exit); a limit
 * breach kills the container with `out_of_memory` / `disk_quota_exceeded` as its kill reason, which
 * decides the failure reason of the attempt it was serving.
 */
import type { PlainError } from "../../core/errors.js";
import type { ContainerProcess } from "../container-process.js";
import { dataLimitBytes, kernelLimitFailure } from "./kernel-limits.js";
import { createContainerCgroup, type ContainerCgroup } from "./cgroup.js";
import { ENFORCEMENT_LABEL, type Enforcement } from "./enforcement.js";
import type { ResourceUnits } from "./units.js";
import { formatBytes, startWatchdog, type Watchdog } from "./watchdog.js";
import type { ProbeSample } from "./attempt-meter.js";
import { openProcessCpu, sampleProcessTree, type ProcessCpuReader, type TreeSample } from "./usage.js";

/** A container's process tree as light probes use it. */
interface KnownTree {
  user: number;
  others: number;
  /** The user's process's stat file, kept open: a light probe is one `pread`. */
  cpu: ProcessCpuReader | null;
}

/** The resource options of a function that limits read. */
export interface LimitSpec {
  memory: number;
  cpu: number;
  ephemeralDisk: number;
}

export interface ContainerLimitsOptions {
  units: ResourceUnits;
  enforcement: Enforcement;
  rssIntervalMs?: number | undefined;
  diskIntervalMs?: number | undefined;
  /** Where operational notes go (cgroup fallback); default stderr. */
  log?: ((line: string) => void) | undefined;
}

interface Attached {
  dog: Watchdog;
  cgroup: ContainerCgroup | null;
  memoryBytes: number;
}

/** Limits of every container of one executor. */
export class ContainerLimits {
  private readonly attached = new Map<string, Attached>();
  /** Per container, from its last full probe: the user's process, and the CPU of the others. */
  private readonly trees = new Map<string, KnownTree>();
  private readonly log: (line: string) => void;

  constructor(private readonly o: ContainerLimitsOptions) {
    this.log = o.log ?? ((l) => process.stderr.write(`${l}\n`));
    if (o.enforcement.note) this.log(`tributary executor: ${o.enforcement.note}; using heap+rss`);
  }

  /** Labels announcing the enforcement in the executor's hello. */
  labels(): Record<string, string> {
    return { [ENFORCEMENT_LABEL]: this.o.enforcement.memory };
  }

  memoryBytes(s: LimitSpec): number {
    return s.memory * this.o.units.memoryUnitBytes;
  }

  diskBytes(s: LimitSpec): number {
    return s.ephemeralDisk * this.o.units.diskUnitBytes;
  }

  /** The V8 old-space limit in MB: the whole memory, so RSS (heap + runtime) trips first. */
  heapMb(s: LimitSpec): number {
    return Math.max(16, Math.floor(this.memoryBytes(s) / 2 ** 20));
  }

  /**
   * Starts enforcing on a freshly started container. `tmpDir` is its temp directory on the host, or
   * null when the kernel sizes it (the sandbox's tmpfs). The RSS sampled is that of the process
   * running user code, found lazily (a sandbox's Node starts a moment after its `bwrap`).
   */
  attach(c: ContainerProcess, s: LimitSpec, tmpDir: string | null): void {
    const launched = c.child.pid;
    if (this.attached.has(c.id) || launched === undefined) return;
    let cgroup: ContainerCgroup | null = null;
    const root = this.o.enforcement.cgroupRoot;
    if (root) {
      try {
        cgroup = createContainerCgroup(root, c.id, { memoryBytes: this.memoryBytes(s), cpu: s.cpu });
        // The launched process: everything it starts (a sandbox's init and Node) inherits the cgroup.
        cgroup.addPid(launched);
      } catch (e) {
        // The kernel refused: this container falls back to the RSS watchdog.
        this.log(`tributary executor: cgroup for ${c.id} failed (${(e as Error).message}); using heap+rss`);
        cgroup?.remove();
        cgroup = null;
      }
    }
    const dog = startWatchdog({
      pid: () => c.pid,
      memoryLimitBytes: cgroup ? null : this.memoryBytes(s),
      diskDir: tmpDir,
      diskLimitBytes: this.diskBytes(s),
      rssIntervalMs: this.o.rssIntervalMs,
      diskIntervalMs: this.o.diskIntervalMs,
      onExceed: (e) => {
        const what = e.reason === "out_of_memory" ? "memory" : "ephemeral disk";
        c.killDetail = `${what} used ${formatBytes(e.usedBytes)}, limit ${formatBytes(e.limitBytes)}`;
        c.kill(e.reason);
      },
    });
    this.attached.set(c.id, { dog, cgroup, memoryBytes: this.memoryBytes(s) });
  }

  /**
   * Samples now (before a result is reported, so a burst between samples is still caught).
   * True when a limit was exceeded: the container is being killed and its exit reports the attempt.
   */
  async exceeded(c: ContainerProcess): Promise<boolean> {
    const a = this.attached.get(c.id);
    if (!a) return false;
    return (
      (await a.dog.checkNow()) !== null || c.killReason === "out_of_memory" || c.killReason === "disk_quota_exceeded"
    );
  }

  /** {@link exceeded} at the moment a result is reported, with the container's own RSS figure. */
  exceededAtFinish(c: ContainerProcess, rssBytes: number | null): boolean {
    const a = this.attached.get(c.id);
    if (!a) return false;
    return (
      a.dog.checkAtFinish(rssBytes) !== null ||
      c.killReason === "out_of_memory" ||
      c.killReason === "disk_quota_exceeded"
    );
  }

  /**
   * Kills `c` when a function's failure is the kernel enforcing its limit (the sandbox's data limit
   * or full `/tmp`, see kernel-limits.ts); its exit then reports the attempt with that reason.
   * @example if (!msg.ok && limits.killForKernelLimit(c, spec, msg.error)) return;
   */
  killForKernelLimit(c: ContainerProcess, s: LimitSpec, error: PlainError): boolean {
    const reason = kernelLimitFailure(error);
    if (!reason) return false;
    c.killDetail =
      reason === "out_of_memory"
        ? `memory limit ${formatBytes(this.memoryBytes(s))}: the kernel refused an allocation past ${formatBytes(dataLimitBytes(this.memoryBytes(s)))} of data`
        : `/tmp is full at its size of ${formatBytes(this.diskBytes(s))}: ${error.message}`;
    c.kill(reason);
    return true;
  }

  /**
   * What `c` uses now, for its attempt's meter: CPU from its cgroup where it has one (exact, every
   * process it ever ran), else from its process tree; resident memory of its process tree. Null when
   * nothing is readable (gone, no procfs, or an OCI container whose processes are not ours to see).
   */
  probe(c: ContainerProcess, full = true): ProbeSample | null {
    const cgroupCpu = this.attached.get(c.id)?.cgroup?.cpuSeconds() ?? null;
    const root = c.usageRootPid;
    if (!full) {
      if (cgroupCpu !== null) return { cpuSeconds: cgroupCpu, rssBytes: null };
      if (root === null) return null;
      // One stat read: the user's process (whose reaped children are in its own figure); the rest of
      // the tree (the sandbox's own processes, idle once it has started) counts as of the last walk.
      const known = this.trees.get(c.id) ?? this.remember(c, sampleProcessTree(root));
      if (!known) return null;
      const own = known.cpu?.read() ?? null;
      return own === null ? null : { cpuSeconds: own + known.others, rssBytes: null };
    }
    if (root === null) return cgroupCpu === null ? null : { cpuSeconds: cgroupCpu, rssBytes: null };
    const tree = sampleProcessTree(root);
    this.remember(c, tree);
    if (!tree && cgroupCpu === null) return null;
    return { cpuSeconds: cgroupCpu ?? tree?.cpuSeconds ?? null, rssBytes: tree?.rssBytes ?? null };
  }

  /** Its CPU is read from a cgroup (which counts every process it ran, reaped or not). */
  readsCgroup(c: ContainerProcess): boolean {
    return !!this.attached.get(c.id)?.cgroup;
  }

  /** Splits a walked tree into the user's process and the CPU of everything else, for light probes. */
  private remember(c: ContainerProcess, tree: TreeSample | null): KnownTree | null {
    if (!tree) return null;
    const user = c.pid > 0 && tree.pids.includes(c.pid) ? c.pid : tree.pids[0]!;
    const before = this.trees.get(c.id);
    let cpu = before?.cpu ?? null;
    if (before?.user !== user) {
      cpu?.close();
      cpu = openProcessCpu(user);
    }
    const known = { user, others: Math.max(0, tree.cpuSeconds - (cpu?.read() ?? 0)), cpu };
    this.trees.set(c.id, known);
    return known;
  }

  /** Stops enforcing after the process exited; attributes a kernel OOM kill to the container. */
  detach(c: ContainerProcess): void {
    this.trees.get(c.id)?.cpu?.close();
    this.trees.delete(c.id);
    const a = this.attached.get(c.id);
    if (!a) return;
    this.attached.delete(c.id);
    a.dog.stop();
    if (a.cgroup) {
      if (a.cgroup.oomKilled()) {
        c.killReason ??= "out_of_memory";
        c.killDetail ??= `memory limit ${formatBytes(a.memoryBytes)} (cgroup)`;
      }
      a.cgroup.remove();
    }
  }
}
