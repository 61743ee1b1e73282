/**
 * Which mechanism enforces a container's memory on this executor, chosen once at start:
 * - `cgroup`: a cgroup v2 root was configured and {@link detectCgroup} accepts it; the kernel
 *   enforces `memory.max` (and `cpu.max`);
 * - `heap+rss`: the default; the V8 heap limit plus the executor's RSS watchdog.
 * The disk quota is always the executor's watchdog. The choice is announced in the hello labels.
 */
import { detectCgroup } from "./cgroup.js";

/** The label key under which the executor announces its memory enforcement. */
export const ENFORCEMENT_LABEL = "tributary.memory-enforcement";

export interface Enforcement {
  memory: "cgroup" | "heap+rss";
  /** Set when `memory` is "cgroup". */
  cgroupRoot: string | null;
  /** Why cgroups are not used (when a root was configured but refused), for the log. */
  note: string | null;
}

/**
 * Off unless a root is given (option first, then `TRIBUTARY_CGROUP_ROOT`).
 * @example chooseEnforcement(undefined, {}) // { memory: "heap+rss", cgroupRoot: null, note: null }
 */
export function chooseEnforcement(cgroupRoot: string | undefined, env: NodeJS.ProcessEnv = process.env): Enforcement {
  const root = cgroupRoot ?? (env.TRIBUTARY_CGROUP_ROOT || undefined);
  if (!root) return { memory: "heap+rss", cgroupRoot: null, note: null };
  const s = detectCgroup(root);
  if (s.usable) return { memory: "cgroup", cgroupRoot: s.root, note: null };
  return { memory: "heap+rss", cgroupRoot: null, note: `cgroup root ${root} not usable: ${s.reason}` };
}
