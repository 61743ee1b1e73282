/**
 * Path-valued flags, resolved once at the CLI boundary against the directory the command was started
 * in (docs/cli.md). Everything below the CLI sees absolute paths only: an executor's containers run
 * in their own working directories, so a relative `--data` would name a different place in each one.
 *
 * Unsupported locations are refused here, before anything starts, with a `CliError` that names the
 * flag and what it accepts: `--blobs s3://bucket` must never become a local directory named `s3:`.
 */
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { redactUrl } from "../core/redact-url.js";
import { CliError } from "./context.js";

/** `scheme:` at the start of a value (two letters at least, so a Windows drive `C:` is a path). */
const SCHEME = /^([a-z][a-z0-9+.-]+):/i;

/**
 * A directory or file path flag, made absolute against `cwd`.
 *
 * @example
 * pathFlag(".tributary/executor", "/home/me/app"); // "/home/me/app/.tributary/executor"
 */
export function pathFlag(value: string, cwd = process.cwd()): string {
  return isAbsolute(value) ? value : resolve(cwd, value);
}

/**
 * `--store`: `sqlite:PATH` (also `sqlite://PATH`, `sqlite::memory:`), a bare file path, or
 * `postgres://…` / `postgresql://…`. SQLite paths come back absolute as `sqlite:/abs/path`; a
 * PostgreSQL URL is returned unchanged; any other scheme is refused.
 *
 * @example
 * storeFlag("sqlite:.tributary/tributary.db", "/srv"); // "sqlite:/srv/.tributary/tributary.db"
 * storeFlag("s3://bucket/db");                           // throws CliError naming --store
 */
export function storeFlag(value: string, cwd = process.cwd()): string {
  const v = value.trim();
  if (v === "") throw new CliError("--store is empty: pass sqlite:PATH, a file path or postgres://…");
  if (/^postgres(ql)?:\/\//i.test(v)) return v;
  if (/^sqlite:/i.test(v)) {
    let path = v.slice("sqlite:".length);
    if (path.startsWith("//")) path = path.slice(2); // sqlite:///abs/path and sqlite://rel/path
    if (path === "") throw new CliError(`--store ${v}: missing the database path after "sqlite:"`);
    return path === ":memory:" ? "sqlite::memory:" : `sqlite:${pathFlag(path, cwd)}`;
  }
  const scheme = SCHEME.exec(v);
  if (scheme)
    throw new CliError(
      `--store ${redactUrl(v)}: "${scheme[1]}:" is not supported; --store takes sqlite:PATH, a file path or postgres://…`,
    );
  return `sqlite:${pathFlag(v, cwd)}`;
}

/**
 * `--blobs`: a local directory (or a `file://` URL of one), made absolute. Object stores such as
 * `s3://…` are not implemented, so every other scheme is refused rather than taken for a directory.
 *
 * @example
 * blobsFlag(".tributary/blobs", "/srv"); // "/srv/.tributary/blobs"
 * blobsFlag("s3://bucket/prefix");        // throws CliError naming --blobs
 */
export function blobsFlag(value: string, cwd = process.cwd()): string {
  const v = value.trim();
  if (v === "") throw new CliError("--blobs is empty: pass a directory");
  if (/^file:/i.test(v)) {
    try {
      return fileURLToPath(v);
    } catch (e) {
      throw new CliError(`--blobs ${v}: not a usable file URL (${(e as Error).message})`);
    }
  }
  const scheme = SCHEME.exec(v);
  if (scheme)
    throw new CliError(
      `--blobs ${redactUrl(v)}: "${scheme[1]}:" is not supported; --blobs takes a local directory (or a file:// URL), ` +
        `and with --store postgres://… blobs live in the database when --blobs is left out`,
    );
  return pathFlag(v, cwd);
}

/**
 * `--image NAME[=DIR|=oci:PATH]`: the name is kept as is; a directory or OCI layout path after `=`
 * is made absolute.
 *
 * @example
 * imageFlag("ffmpeg=images/ffmpeg", "/srv"); // "ffmpeg=/srv/images/ffmpeg"
 * imageFlag("ubuntu:24.04");                 // "ubuntu:24.04"
 */
export function imageFlag(value: string, cwd = process.cwd()): string {
  const eq = value.indexOf("=");
  if (eq < 0) return value;
  const name = value.slice(0, eq);
  const target = value.slice(eq + 1);
  if (target === "") throw new CliError(`--image ${value}: missing the directory after "="`);
  if (target.startsWith("oci:")) return `${name}=oci:${pathFlag(target.slice(4), cwd)}`;
  return `${name}=${pathFlag(target, cwd)}`;
}
