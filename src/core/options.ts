/**
 * Definition-time validation of every function and application option, with the seed's defaults
 * and bounds (docs/programming-model.md). Each bad value raises an `SDKUsageError` naming the option, the allowed
 * range and the value received. The normalized specs are what the manifest carries.
 */
import { SDKUsageError } from "./errors.js";
import type { Serializer } from "./codec.js";

/** Backoff policy in seconds. `maxRetries` is the number of retries after the first attempt. */
export interface RetryPolicy {
  maxRetries: number;
  initialDelay: number;
  delayMultiplier: number;
  maxDelay: number;
}

export type ImageStep =
  | { op: "run"; command: string }
  | { op: "env"; key: string; value: string }
  | { op: "workdir"; path: string }
  | { op: "copy"; src: string; dest: string };

/** A container image: a base image plus build steps. `id` is a hash of its content. */
export interface ImageSpec {
  name: string;
  baseImage: string | null;
  steps: ImageStep[];
  id: string;
}

/** The normalized options of one function (what the manifest records). */
export interface FunctionSpec {
  name: string;
  description: string;
  cpu: number;
  memory: number;
  ephemeralDisk: number;
  /** Acceptable GPU choices, each "MODEL:COUNT"; null for none. */
  gpu: string[] | null;
  timeout: number;
  image: ImageSpec | null;
  secrets: string[];
  /** Null: inherit the application's policy (or no retries). */
  retries: RetryPolicy | null;
  /** Null: inherit the application's region (or any region). */
  region: string | null;
  warmContainers: number;
  minContainers: number;
  maxContainers: number | null;
  /** Set for class methods: the class name and the method name. */
  className?: string;
  methodName?: string;
  /** Class constructor timeout in seconds (null: the function timeout). */
  initTimeout?: number | null;
}

/** The normalized options of an application. */
export interface ApplicationSpec {
  tags: Record<string, string>;
  retries: RetryPolicy | null;
  region: string | null;
  inputDeserializer: Serializer;
  outputSerializer: Serializer;
  /**
   * What callers may do without an API key: `"unauthenticated_requests"` makes the application
   * public (invoking it needs no key; its requests' metadata, output and stream still do). Absent
   * in manifests deployed before the option existed, which means the same as `[]`.
   */
  allow?: ApplicationAllow[];
}

/** The values of the application option `allow`. */
export const APPLICATION_ALLOW = ["unauthenticated_requests"] as const;
export type ApplicationAllow = (typeof APPLICATION_ALLOW)[number];

/** Validates `allow`: a list of distinct known values. */
export function checkAllow(where: string, v: unknown): ApplicationAllow[] {
  if (v === undefined) return [];
  if (!Array.isArray(v))
    usage(where, "allow", `must be a list of ${APPLICATION_ALLOW.map((a) => JSON.stringify(a)).join(", ")}`, v);
  for (const a of v) {
    if (!(APPLICATION_ALLOW as readonly unknown[]).includes(a))
      usage(
        where,
        "allow",
        `has an unknown value (known: ${APPLICATION_ALLOW.map((x) => JSON.stringify(x)).join(", ")})`,
        a,
      );
  }
  if (new Set(v).size !== v.length) usage(where, "allow", "lists a value twice", v);
  return [...(v as ApplicationAllow[])];
}

export const DEFAULT_REGIONS = ["us-east-1", "eu-west-1"] as const;

export const DEFAULTS = {
  cpu: 1,
  memory: 1,
  ephemeralDisk: 2,
  timeout: 300,
  retries: { maxRetries: 0, initialDelay: 1, delayMultiplier: 2, maxDelay: 60 } satisfies RetryPolicy,
} as const;

export const BOUNDS = {
  cpu: [1, 8],
  memory: [1, 32],
  ephemeralDisk: [2, 50],
  timeout: [1, 172800],
  maxRetries: [0, 10],
} as const;

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const SECRET_RE = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const GPU_RE = /^([A-Za-z0-9][A-Za-z0-9_-]{0,63})(?::(\d+))?$/;
const REGION_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Raises `SDKUsageError` with a uniform message: `<where>: <option> <problem>, got <value>`. */
export function usage(where: string, option: string, problem: string, got?: unknown): never {
  const suffix = arguments.length >= 4 ? `, got ${describe(got)}` : "";
  throw new SDKUsageError(`${where}: option '${option}' ${problem}${suffix}`);
}

export function describe(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "function") return "a function";
  if (v === null || typeof v !== "object") return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

/** The regions definitions may name: `TRIBUTARY_REGIONS` (comma list) or the default two. */
export function knownRegions(): string[] {
  const env = typeof process !== "undefined" ? process.env.TRIBUTARY_REGIONS : undefined;
  const list = env
    ? env
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : [...DEFAULT_REGIONS];
  return list;
}

export function checkName(where: string, name: unknown, option = "name"): string {
  if (typeof name !== "string" || name.length === 0)
    usage(where, option, "must be a non-empty identifier (the handler needs a name, or pass { name })", name);
  if (!NAME_RE.test(name))
    usage(where, option, "must match /^[A-Za-z_][A-Za-z0-9_]*$/ and be at most 128 characters", name);
  return name;
}

export function checkRange(
  where: string,
  option: string,
  v: unknown,
  def: number,
  [lo, hi]: readonly [number, number],
  integer = false,
): number {
  if (v === undefined) return def;
  if (typeof v !== "number" || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    usage(where, option, `must be ${integer ? "an integer" : "a number"} between ${lo} and ${hi}`, v);
  }
  if (v < lo || v > hi) usage(where, option, `must be between ${lo} and ${hi}`, v);
  return v;
}

export function checkRetries(where: string, v: unknown, option = "retries"): RetryPolicy | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== "object") usage(where, option, "must be a Retries instance, e.g. new Retries({ maxRetries: 3 })", v);
  const r = v as Partial<RetryPolicy>;
  const maxRetries = checkRange(where, `${option}.maxRetries`, r.maxRetries, 0, BOUNDS.maxRetries, true);
  const initialDelay = checkRange(
    where,
    `${option}.initialDelay`,
    r.initialDelay,
    DEFAULTS.retries.initialDelay,
    [0, 3600],
  );
  const delayMultiplier = checkRange(
    where,
    `${option}.delayMultiplier`,
    r.delayMultiplier,
    DEFAULTS.retries.delayMultiplier,
    [1, 10],
  );
  const maxDelay = checkRange(where, `${option}.maxDelay`, r.maxDelay, DEFAULTS.retries.maxDelay, [0, 3600]);
  if (maxDelay < initialDelay)
    usage(where, `${option}.maxDelay`, `must be at least initialDelay (${initialDelay})`, maxDelay);
  return { maxRetries, initialDelay, delayMultiplier, maxDelay };
}

export function checkRegion(where: string, v: unknown): string | null {
  if (v === undefined || v === null) return null;
  const regions = knownRegions();
  if (typeof v !== "string" || !REGION_RE.test(v))
    usage(where, "region", `must be one of ${regions.map((r) => JSON.stringify(r)).join(", ")}`, v);
  if (!regions.includes(v))
    usage(
      where,
      "region",
      `must be one of ${regions.map((r) => JSON.stringify(r)).join(", ")} (set TRIBUTARY_REGIONS to extend the list)`,
      v,
    );
  return v;
}

/** GPU: "MODEL", "MODEL:COUNT" (count 1–8), or a non-empty list of such choices. */
export function checkGpu(where: string, v: unknown): string[] | null {
  if (v === undefined || v === null) return null;
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0) usage(where, "gpu", 'must be "MODEL", "MODEL:COUNT" or a non-empty list of them', v);
  return list.map((g) => {
    const m = typeof g === "string" ? GPU_RE.exec(g) : null;
    if (!m) usage(where, "gpu", 'must be "MODEL" or "MODEL:COUNT" (e.g. "H100" or "A100:2")', g);
    const count = m[2] === undefined ? 1 : Number(m[2]);
    if (count < 1 || count > 8) usage(where, "gpu", "count must be between 1 and 8", g);
    return `${m[1]}:${count}`;
  });
}

export function checkSecrets(where: string, v: unknown): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) usage(where, "secrets", "must be an array of secret names", v);
  const seen = new Set<string>();
  for (const s of v) {
    if (typeof s !== "string" || !SECRET_RE.test(s))
      usage(where, "secrets", "entries must be environment-variable names (/^[A-Za-z_][A-Za-z0-9_]*$/)", s);
    if (seen.has(s)) usage(where, "secrets", "lists a secret twice", s);
    seen.add(s);
  }
  return [...seen];
}

export function checkTags(where: string, v: unknown): Record<string, string> {
  if (v === undefined) return {};
  if (typeof v !== "object" || v === null || Array.isArray(v))
    usage(where, "tags", "must be an object of string keys to string values", v);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (k.length === 0 || k.length > 128) usage(where, "tags", "keys must be 1–128 characters", k);
    if (typeof val !== "string") usage(where, `tags.${k}`, "must be a string", val);
    out[k] = val;
  }
  return out;
}

export function checkSerializer(where: string, option: string, v: unknown): Serializer {
  if (v === undefined) return "json";
  if (v !== "json" && v !== "structured") usage(where, option, 'must be "json" or "structured"', v);
  return v;
}

export function checkString(where: string, option: string, v: unknown, max = 4096): string {
  if (v === undefined) return "";
  if (typeof v !== "string" || v.length > max) usage(where, option, `must be a string of at most ${max} characters`, v);
  return v;
}

export function checkCount(where: string, option: string, v: unknown, def: number, max = 1000): number {
  return checkRange(where, option, v, def, [0, max], true);
}

/** Rejects option keys this version does not know, so typos fail loudly. */
export function checkKnownKeys(where: string, opts: object, known: readonly string[]): void {
  for (const k of Object.keys(opts)) {
    if (!known.includes(k)) usage(where, k, `is not a known option (known: ${known.join(", ")})`);
  }
}
