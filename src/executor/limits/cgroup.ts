/**
 * cgroup v2 enforcement, behind detection. Given a cgroup root the operator delegated to this
 * executor, each container gets a child cgroup `tributary-<container id>` with `memory.max` and
 * `cpu.max`, and its process is moved there; the kernel then enforces memory (OOM kill, counted in
 * `memory.events`) and CPU.
 *
 * Safety: nothing here runs unless the executor is given a root explicitly (`cgroupRoot` option or
 * `TRIBUTARY_CGROUP_ROOT`). Detection only reads; it never enables controllers or writes anywhere.
 */
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";

/** The verdict of {@link detectCgroup}. */
export type CgroupSupport = { usable: true; root: string } | { usable: false; reason: string };

function words(file: string): Set<string> {
  return new Set(readFileSync(file, "utf8").split(/\s+/).filter(Boolean));
}

/**
 * Decides whether child cgroups with `memory.max` and `cpu.max` can be made under `root`: it must
 * be a writable directory whose `cgroup.controllers` offers and whose `cgroup.subtree_control`
 * enables both `memory` and `cpu`. Read-only.
 * @example detectCgroup(process.env.TRIBUTARY_CGROUP_ROOT) // { usable: false, reason: "no cgroup root configured" }
 */
export function detectCgroup(root: string | undefined): CgroupSupport {
  if (!root) return { usable: false, reason: "no cgroup root configured" };
  try {
    if (!statSync(root).isDirectory()) return { usable: false, reason: `${root} is not a directory` };
    accessSync(root, constants.W_OK);
  } catch (e) {
    return {
      usable: false,
      reason: `${root} is not a writable directory (${(e as NodeJS.ErrnoException).code ?? "error"})`,
    };
  }
  for (const [file, what] of [
    ["cgroup.controllers", "offered"],
    ["cgroup.subtree_control", "enabled for children"],
  ] as const) {
    const p = join(root, file);
    if (!existsSync(p)) return { usable: false, reason: `${p} is missing (not a cgroup v2 directory)` };
    const have = words(p);
    const lack = ["memory", "cpu"].filter((c) => !have.has(c));
    if (lack.length) return { usable: false, reason: `controller ${lack.join(" and ")} not ${what} in ${p}` };
  }
  return { usable: true, root };
}

/** One container's cgroup. */
export interface ContainerCgroup {
  readonly path: string;
  /** Moves a process into the cgroup. */
  addPid(pid: number): void;
  /** True when the kernel OOM-killed a process of this cgroup (`memory.events` `oom_kill`). */
  oomKilled(): boolean;
  /** CPU seconds (user + system) of every process ever in the cgroup (`cpu.stat` `usage_usec`), or null. */
  cpuSeconds(): number | null;
  /** Removes the cgroup (its processes must have exited). */
  remove(): void;
}

/** Limits written into a container's cgroup. */
export interface CgroupLimits {
  memoryBytes: number;
  /** CPUs (fractional allowed): becomes `cpu.max` "<quota> 100000". */
  cpu: number;
}

const PERIOD_US = 100_000;

/**
 * Creates `<root>/tributary-<id>` and writes its limits. Only call with a root that
 * {@link detectCgroup} accepted.
 * @example const cg = createContainerCgroup(root, "c-1a2b", { memoryBytes: 2 ** 30, cpu: 2 }); cg.addPid(pid);
 */
export function createContainerCgroup(root: string, id: string, limits: CgroupLimits): ContainerCgroup {
  if (!/^[A-Za-z0-9_.-]+$/.test(id)) throw new Error(`invalid cgroup name ${JSON.stringify(id)}`);
  const path = join(root, `tributary-${id}`);
  mkdirSync(path);
  writeFileSync(join(path, "memory.max"), `${Math.floor(limits.memoryBytes)}\n`);
  // No swap around the limit (only where the kernel offers the knob).
  if (existsSync(join(path, "memory.swap.max"))) writeFileSync(join(path, "memory.swap.max"), "0\n");
  writeFileSync(join(path, "cpu.max"), `${Math.max(1000, Math.round(limits.cpu * PERIOD_US))} ${PERIOD_US}\n`);
  return {
    path,
    addPid(pid) {
      writeFileSync(join(path, "cgroup.procs"), `${pid}\n`);
    },
    oomKilled() {
      try {
        const m = /^oom_kill\s+(\d+)/m.exec(readFileSync(join(path, "memory.events"), "utf8"));
        return m !== null && Number(m[1]) > 0;
      } catch {
        return false;
      }
    },
    cpuSeconds() {
      try {
        const m = /^usage_usec\s+(\d+)/m.exec(readFileSync(join(path, "cpu.stat"), "utf8"));
        return m ? Number(m[1]) / 1e6 : null;
      } catch {
        return null;
      }
    },
    remove() {
      try {
        // A real cgroup is removed with rmdir even though it lists interface files.
        rmdirSync(path);
      } catch (e) {
        // A plain directory standing in for one (tests) holds real files.
        if ((e as NodeJS.ErrnoException).code === "ENOTEMPTY" && !existsSync(join(path, "cgroup.controllers")))
          rmSync(path, { recursive: true, force: true });
      }
    },
  };
}
