/**
 * The byte size of one "GB" of function memory and ephemeral disk on this executor.
 *
 * Production: both are 2^30. Tests shrink them so that the SDK's bounds (memory 1–32, disk 2–50)
 * can express a 64 MB function or a 2 MB quota: `memoryUnitBytes` / `TRIBUTARY_MEMORY_UNIT_BYTES`
 * and `diskUnitBytes` / `TRIBUTARY_DISK_UNIT_BYTES`. The option wins over the environment. They
 * scale enforcement only: the capacity an executor declares stays in (scaled) units.
 */

/** 2^30 bytes: one unit of `memory` and `ephemeralDisk` in production. */
export const GB = 2 ** 30;

/** Bytes per unit of memory and of ephemeral disk. */
export interface ResourceUnits {
  memoryUnitBytes: number;
  diskUnitBytes: number;
}

/** Overrides, normally absent. */
export interface UnitOverrides {
  memoryUnitBytes?: number | undefined;
  diskUnitBytes?: number | undefined;
}

function parse(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new Error(`${name} must be a positive integer number of bytes, got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * The units in force: option, then environment, then {@link GB}.
 * @example resolveUnits({ memoryUnitBytes: 64 * 2 ** 20 }).memoryUnitBytes // 67108864
 */
export function resolveUnits(o: UnitOverrides = {}, env: NodeJS.ProcessEnv = process.env): ResourceUnits {
  const memory = o.memoryUnitBytes ?? parse("TRIBUTARY_MEMORY_UNIT_BYTES", env.TRIBUTARY_MEMORY_UNIT_BYTES) ?? GB;
  const disk = o.diskUnitBytes ?? parse("TRIBUTARY_DISK_UNIT_BYTES", env.TRIBUTARY_DISK_UNIT_BYTES) ?? GB;
  for (const [k, v] of [
    ["memoryUnitBytes", memory],
    ["diskUnitBytes", disk],
  ] as const) {
    if (!Number.isSafeInteger(v) || v <= 0)
      throw new Error(`${k} must be a positive integer number of bytes, got ${v}`);
  }
  return { memoryUnitBytes: memory, diskUnitBytes: disk };
}
