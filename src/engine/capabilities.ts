/**
 * What a server's executors can run, as the other servers of a cluster see it (DESIGN.md §3
 * "Shared work"), and a call's requirements as claimable text.
 *
 * - A **capability summary** (`servers.capabilities`) lists the distinct shapes of the executors
 *   connected to a server: region, images and total capacity. It is written with each lease
 *   renewal, so peers know who could run a call without asking.
 * - **Needs** (`requests.needs`) are one call's `Requirements` as canonical text: equal
 *   requirements give equal text, so a claim filters by plain equality against the needs the
 *   claimer can meet.
 *
 * Pure: no I/O.
 */
import type { ExecutorCapacity } from "../core/wire/executor.js";
import { place, type ExecutorView, type Requirements } from "./placement.js";

/** One executor shape: [region, images, capacity]. */
type Shape = [string, string[], ExecutorCapacity];

/**
 * The canonical text of requirements.
 * @example needsKey({ cpu: 1, memory: 1, disk: 2, gpu: null, region: "eu-west-1", baseImage: null })
 *   // '[1,1,2,null,"eu-west-1",null]'
 */
export function needsKey(r: Requirements): string {
  return JSON.stringify([r.cpu, r.memory, r.disk, r.gpu, r.region, r.baseImage]);
}

/** The requirements of a `needsKey` text; null for text this version does not understand. */
export function parseNeeds(text: string): Requirements | null {
  try {
    const [cpu, memory, disk, gpu, region, baseImage] = JSON.parse(text) as unknown[];
    if (typeof cpu !== "number" || typeof memory !== "number" || typeof disk !== "number") return null;
    return {
      cpu,
      memory,
      disk,
      gpu: Array.isArray(gpu) ? (gpu as string[]) : null,
      region: typeof region === "string" ? region : null,
      baseImage: typeof baseImage === "string" ? baseImage : null,
    };
  } catch {
    return null;
  }
}

/** The summary of `views` (connected executors): each distinct shape once; null when there is none. */
export function summarize(views: Iterable<ExecutorView>): string | null {
  const shapes = new Map<string, Shape>();
  for (const v of views) {
    const shape: Shape = [v.region, [...v.images].sort(), v.capacity];
    shapes.set(JSON.stringify(shape), shape);
  }
  return shapes.size ? JSON.stringify([...shapes.values()]) : null;
}

/** Idle executor views of a summary, for `place` (empty for null or foreign text). */
export function viewsOf(summary: string | null): ExecutorView[] {
  if (summary === null) return [];
  try {
    return (JSON.parse(summary) as Shape[]).map(([region, images, capacity], i) => ({
      id: `shape-${i}`,
      region,
      images,
      capacity,
      used: { cpu: 0, memory: 0, disk: 0 },
      gpusInUse: new Set<string>(),
      connected: true,
    }));
  } catch {
    return [];
  }
}

/** Whether executors of these shapes could ever run a call with requirements `r`. */
export function couldRun(r: Requirements, views: readonly ExecutorView[]): boolean {
  return views.length > 0 && place(r, views).kind !== "never";
}
