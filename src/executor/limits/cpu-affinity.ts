/**
 * CPU limits without a cgroup: each container is pinned (`taskset -c`) to ⌈cpu⌉ of the cores this
 * executor may use, so `cpu: 1` can never burn more than one core's worth of time however many
 * threads it spins.
 *
 * Invariants: a container holds its cores from launch until it exits (`release` exactly once);
 * cores are handed out least-loaded first, so containers spread over the machine before sharing a
 * core; a container that asks for as many cores as there are (or more) is not pinned at all (null).
 */
import { readFileSync } from "node:fs";
import os from "node:os";

/**
 * The cores this process may run on, from `Cpus_allowed_list` in `/proc/self/status` ("0-3,8"),
 * or 0…n-1 when that is unreadable (not Linux).
 * @example allowedCpus("Cpus_allowed_list:\t0-1,4\n") // [0, 1, 4]
 */
export function allowedCpus(statusText?: string): number[] {
  let text = statusText;
  if (text === undefined) {
    try {
      text = readFileSync("/proc/self/status", "utf8");
    } catch {
      text = "";
    }
  }
  const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(text);
  if (!m) return [...Array(os.availableParallelism()).keys()];
  const out: number[] = [];
  for (const part of m[1]!.split(",")) {
    const [lo, hi] = part.split("-").map(Number) as [number, number | undefined];
    for (let c = lo; c <= (hi ?? lo); c++) out.push(c);
  }
  return out;
}

/** Hands out cores to containers, least-loaded first. */
export class CpuAffinity {
  private readonly load = new Map<number, number>();

  constructor(private readonly cores: number[] = allowedCpus()) {
    for (const c of cores) this.load.set(c, 0);
  }

  /**
   * The cores a container with `cpu` CPUs is pinned to, or null when it may use every core.
   * @example const cores = affinity.acquire(1); // [1]: the least-used core
   */
  acquire(cpu: number): number[] | null {
    const n = Math.max(1, Math.ceil(cpu));
    if (n >= this.cores.length) return null;
    // Stable sort: ties go to the lower core number, so the choice is deterministic.
    const chosen = [...this.cores].sort((a, b) => this.load.get(a)! - this.load.get(b)!).slice(0, n);
    for (const c of chosen) this.load.set(c, this.load.get(c)! + 1);
    return chosen.sort((a, b) => a - b);
  }

  /** Gives back what {@link acquire} returned. */
  release(cores: number[] | null): void {
    for (const c of cores ?? []) this.load.set(c, Math.max(0, (this.load.get(c) ?? 0) - 1));
  }
}
