/**
 * Flag parsers shared by the commands. Each throws commander's `InvalidArgumentError`, so the
 * message commander prints names the flag and the bad value:
 * `error: option '--port <port>' argument 'abc' is invalid. expected an integer from 0 to 65535`.
 */
import { InvalidArgumentError } from "commander";
import { STATUSES, type Status } from "../core/status.js";
import { CONTAINER_BACKENDS, type ContainerBackend } from "../executor/backends/kinds.js";

/** Integer in [min, max]. */
export function intIn(min: number, max: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    }
    return n;
  };
}

/** A finite number > 0. */
export function positiveNumber(v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError("expected a number greater than 0");
  return n;
}

/** Repeatable string flag. */
export function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}

/** Repeatable `--label k=v`. */
export function collectLabel(v: string, prev: Record<string, string> | undefined): Record<string, string> {
  const eq = v.indexOf("=");
  if (eq <= 0) throw new InvalidArgumentError("expected key=value");
  return { ...prev, [v.slice(0, eq)]: v.slice(eq + 1) };
}

/** Repeatable `--gpu MODEL:N` (N defaults to 1). */
export function collectGpu(v: string, prev: Record<string, number> | undefined): Record<string, number> {
  const m = /^([A-Za-z0-9_.-]+)(?::(\d+))?$/.exec(v.trim());
  const count = m?.[2] === undefined ? 1 : Number(m[2]);
  if (!m || !Number.isSafeInteger(count) || count < 1)
    throw new InvalidArgumentError("expected MODEL or MODEL:COUNT, e.g. H100:8");
  const model = m[1]!;
  return { ...prev, [model]: (prev?.[model] ?? 0) + count };
}

/** One of the request status words of core/status.ts. */
export function status(v: string): Status {
  if (!(STATUSES as readonly string[]).includes(v))
    throw new InvalidArgumentError(`expected one of ${STATUSES.join(", ")}`);
  return v as Status;
}

/** A point in time as epoch milliseconds: given as such, or as an ISO 8601 date or date-time. */
export function epochMs(v: string): number {
  const t = v.trim();
  const ms = /^\d+$/.test(t) ? Number(t) : /^\d{4}-\d{2}-\d{2}/.test(t) ? Date.parse(t) : NaN;
  if (!Number.isSafeInteger(ms) || ms < 0)
    throw new InvalidArgumentError("expected epoch milliseconds or an ISO 8601 time, e.g. 2026-11-26T14:00:00Z");
  return ms;
}

/** An http(s) URL. */
export function url(v: string): string {
  try {
    const u = new URL(v);
    if (u.protocol === "http:" || u.protocol === "https:") return v;
  } catch {
    // fall through to the error below
  }
  throw new InvalidArgumentError("expected an http(s) URL");
}

/** A comma-separated list of http(s) URLs (`--server URL[,URL…]`). */
export function urlList(v: string): string[] {
  const parts = v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new InvalidArgumentError("expected one or more http(s) URLs separated by commas");
  return parts.map(url);
}

/** The text of `--backend` (executor and dev). */
export const BACKEND_HELP =
  "container backend: sandbox (isolated; the default on Linux where bubblewrap works), process (plain child processes, not isolated) or oci (docker/podman)";

/** `--backend sandbox|process|oci`. */
export function backendKind(v: string): ContainerBackend {
  if (!(CONTAINER_BACKENDS as readonly string[]).includes(v))
    throw new InvalidArgumentError(
      `--backend must be one of ${CONTAINER_BACKENDS.join(", ")}; got ${JSON.stringify(v)}`,
    );
  return v as ContainerBackend;
}

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
};

/** A size in bytes: `65536`, `64KiB`, `100MiB`, `5GiB` (binary units; K/M/G mean the same). */
export function byteSize(v: string): number {
  const m = /^(\d+)\s*([a-z]*)$/i.exec(v.trim());
  const unit = UNITS[(m?.[2] ?? "").toLowerCase()];
  const n = m && unit !== undefined ? Number(m[1]) * unit : NaN;
  if (!Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError("expected a size such as 65536, 64KiB, 100MiB or 5GiB");
  return n;
}

/** Help of `--image` (executor and dev). */
export const IMAGE_HELP =
  "a base image this executor provides (repeatable): NAME=DIR (a root filesystem directory) or NAME=oci:PATH (an OCI image layout or docker save archive, unpacked once); a bare NAME is a label, for the process backend only";

/**
 * A credential flag (`--token`, `--executor-token`, `--api-key`). An empty value is refused, never
 * read as "no token": it is a mistake (`--token "$T"` with `T` unset), and a server given an empty
 * executor token would refuse every executor. A value with whitespace inside could never be sent as
 * `Authorization: Bearer <token>`, so it is refused too. Surrounding whitespace is trimmed.
 */
export function credential(v: string): string {
  return checkedCredential(v, "leave the option out", (why) => new InvalidArgumentError(why));
}

/** Repeatable credential flag (`--api-key K`…). */
export function collectCredential(v: string, prev: string[] | undefined): string[] {
  return collect(credential(v), prev);
}

/**
 * A credential from its flag, else from the environment variable `name`; undefined when neither is
 * given. A variable that is set but empty (or not a valid token) is refused, naming it, as
 * {@link credential} refuses the flag: `flag` is that parser's output, `flagName` its name.
 *
 * @example
 * credentialSetting(flags.token, "--token", "TRIBUTARY_EXECUTOR_TOKEN"); // { value, source: "--token" | "TRIBUTARY_EXECUTOR_TOKEN" }
 */
export function credentialSetting(
  flag: string | undefined,
  flagName: string,
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): { value: string; source: string } | undefined {
  if (flag !== undefined) return { value: flag, source: flagName };
  const v = env[name];
  if (v === undefined) return undefined;
  // A plain Error: main prints it as `error: …` (a commander error thrown in an action is not printed).
  return { value: checkedCredential(v, "unset it", (why) => new Error(`${name}: ${why}`)), source: name };
}

/** `v` trimmed, or `refuse`'s error saying why it is no token (`fix`: what to do about an empty one). */
function checkedCredential(v: string, fix: string, refuse: (why: string) => Error): string {
  const t = v.trim();
  if (t === "") throw refuse(`the value is empty: give the token, or ${fix}`);
  if (/\s/.test(t)) throw refuse("expected a token without spaces");
  return t;
}
