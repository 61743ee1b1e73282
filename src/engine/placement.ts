/**
 * Placement (docs/semantics.md): a call runs only on an executor whose free capacity covers its cpu,
 * memory, disk and GPUs, whose region matches, and that can provide its image.
 *
 * Pure: no I/O, no clock. `place` answers one of
 * - `placed`: the executor and the GPU devices to reserve;
 * - `wait`: some executor could run it once capacity frees (with the reason, for the API);
 * - `never`: no connected executor could ever run it (with the missing resource named).
 */
import type { ExecutorCapacity } from "../core/wire/executor.js";

export interface Requirements {
  cpu: number;
  memory: number;
  disk: number;
  /** Acceptable choices, each "MODEL:COUNT"; null for none. */
  gpu: string[] | null;
  /** Null: any region. */
  region: string | null;
  /** Base image needed, or null. */
  baseImage: string | null;
}

export interface ExecutorView {
  id: string;
  region: string;
  capacity: ExecutorCapacity;
  images: string[];
  /** Reserved right now. */
  used: { cpu: number; memory: number; disk: number };
  /** GPU devices in use, as "MODEL:INDEX". */
  gpusInUse: Set<string>;
  /** False while the executor is disconnected (its grace period): nothing new is placed there. */
  connected: boolean;
}

export type Placement =
  | { kind: "placed"; executorId: string; gpus: string[] }
  | { kind: "wait"; reason: string }
  | { kind: "never"; reason: string };

const EPS = 1e-9;

function regionOk(e: ExecutorView, r: Requirements): boolean {
  return r.region === null || e.region === "*" || e.region === r.region;
}

function imageOk(e: ExecutorView, r: Requirements): boolean {
  return r.baseImage === null || e.images.includes("*") || e.images.includes(r.baseImage);
}

function parseGpu(choice: string): { model: string; count: number } {
  const [model, count] = choice.split(":");
  return { model: model!, count: Number(count ?? 1) };
}

/** Free GPU devices of `model` on `e`. */
function freeGpus(e: ExecutorView, model: string): string[] {
  const total = e.capacity.gpus[model] ?? 0;
  const out: string[] = [];
  for (let i = 0; i < total; i++) if (!e.gpusInUse.has(`${model}:${i}`)) out.push(`${model}:${i}`);
  return out;
}

/** True when `e`, empty, could run the call at all. */
function couldEver(e: ExecutorView, r: Requirements): string | null {
  if (!regionOk(e, r)) return `region ${r.region}`;
  if (!imageOk(e, r))
    return `image ${r.baseImage} (an executor provides a base with --image ${r.baseImage}=DIR or --image ${r.baseImage}=oci:PATH)`;
  if (e.capacity.cpu + EPS < r.cpu) return `cpu ${r.cpu}`;
  if (e.capacity.memory + EPS < r.memory) return `memory ${r.memory} GB`;
  if (e.capacity.disk + EPS < r.disk) return `ephemeral disk ${r.disk} GB`;
  if (r.gpu && !r.gpu.some((g) => (e.capacity.gpus[parseGpu(g).model] ?? 0) >= parseGpu(g).count))
    return `gpu ${r.gpu.join(" or ")}`;
  return null;
}

/**
 * `overcommit`: ignore free cpu, memory and disk (GPU devices must still be free). Only the
 * scheduler's deadlock breaker uses it, on executors whose every attempt waits on children.
 */
export function place(
  r: Requirements,
  executors: Iterable<ExecutorView>,
  opts: { overcommit?: boolean } = {},
): Placement {
  const missing = new Set<string>();
  let anyConnected = false;
  let couldRun = false;
  let best: { e: ExecutorView; gpus: string[]; score: number } | null = null;
  for (const e of executors) {
    if (!e.connected) continue;
    anyConnected = true;
    const why = couldEver(e, r);
    if (why) {
      missing.add(why);
      continue;
    }
    couldRun = true;
    const free = {
      cpu: e.capacity.cpu - e.used.cpu,
      memory: e.capacity.memory - e.used.memory,
      disk: e.capacity.disk - e.used.disk,
    };
    if (!opts.overcommit && (free.cpu + EPS < r.cpu || free.memory + EPS < r.memory || free.disk + EPS < r.disk))
      continue;
    let gpus: string[] = [];
    if (r.gpu) {
      const choice = r.gpu.map(parseGpu).find((g) => freeGpus(e, g.model).length >= g.count);
      if (!choice) continue;
      gpus = freeGpus(e, choice.model).slice(0, choice.count);
    }
    // Least-loaded first spreads work; ties keep declaration order.
    const score = free.cpu / Math.max(e.capacity.cpu, EPS);
    if (!best || score > best.score) best = { e, gpus, score };
  }
  if (best) return { kind: "placed", executorId: best.e.id, gpus: best.gpus };
  if (!anyConnected) return { kind: "wait", reason: "no executor is connected" };
  if (!couldRun) return { kind: "never", reason: `no executor can provide ${[...missing].join("; ")}` };
  return {
    kind: "wait",
    reason: `waiting for capacity (cpu ${r.cpu}, memory ${r.memory} GB${r.gpu ? `, gpu ${r.gpu.join(" or ")}` : ""})`,
  };
}

/**
 * `maxContainers`: the engine never runs more concurrent attempts of one function (of one
 * application version; a class counts all its methods together, as they share containers) than
 * this, across executors. Answers the wait reason when `running` already reached `max`.
 * @example maxContainersReason(2, 2) // "waiting for a container: maxContainers 2 reached"
 */
export function maxContainersReason(max: number | null, running: number): string | null {
  return max !== null && running >= max ? `waiting for a container: maxContainers ${max} reached` : null;
}
