/**
 * Opens the store named by a `--store` value.
 */
import { createSqliteStore } from "./sqlite/index.js";
import type { Store } from "./types.js";

/**
 * Opens a store from a URL: `sqlite:PATH` (also `sqlite://PATH`, `sqlite::memory:`) or a bare file
 * path. `postgres://…` is recognised and refused with a clear message until that adapter ships.
 *
 * @example
 * const store = await openStore("sqlite:.tributary/tributary.db");
 */
export async function openStore(url: string): Promise<Store> {
  const value = url.trim();
  if (value === "") throw new Error("--store is empty: pass sqlite:PATH or a file path");
  if (/^postgres(ql)?:\/\//i.test(value)) {
    throw new Error(
      `--store ${redact(value)}: the PostgreSQL store is not available in this build yet; use --store sqlite:PATH`,
    );
  }
  if (/^sqlite:/i.test(value)) {
    let path = value.slice("sqlite:".length);
    if (path.startsWith("//")) path = path.slice(2); // sqlite:///abs/path and sqlite://rel/path
    if (path === "") throw new Error(`--store ${value}: missing the database path after "sqlite:"`);
    return createSqliteStore(path);
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value);
  if (scheme) throw new Error(`--store ${redact(value)}: unknown scheme "${scheme[1]}:"; use sqlite:PATH or a file path`);
  return createSqliteStore(value);
}

/** Hides a password in a connection URL before it reaches an error message or a log. */
function redact(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, "$1:***@");
}
