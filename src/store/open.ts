/**
 * Opens the store named by a `--store` value.
 *
 * The PostgreSQL adapter (and with it the `postgres` driver) is imported only when a `postgres://`
 * store is opened, so a SQLite server or CLI never loads it. Nothing else in the product imports
 * `./postgres/` statically; open.test.ts checks that opening a SQLite store leaves it unloaded.
 */
import { redactUrl } from "../core/redact-url.js";
import { createSqliteStore } from "./sqlite/index.js";
import type { Store } from "./types.js";
import type { PostgresBlobStore } from "./postgres/blobs.js";

export type { PostgresBlobStore } from "./postgres/blobs.js";

/**
 * Opens a store from a URL: `sqlite:PATH` (also `sqlite://PATH`, `sqlite::memory:`), a bare file
 * path, or `postgres://…` / `postgresql://…` (optionally `?schema=NAME` to keep every table in that
 * PostgreSQL schema, created if missing). The store comes back migrated (SQLite migrates at
 * open; PostgreSQL is connected and migrated here, so a wrong URL fails now, with the password
 * hidden, rather than at the first request).
 *
 * `serverId`: with PostgreSQL, the id this server has in a cluster (its writes are fenced by
 * request ownership, postgres/connect.ts).
 *
 * @example
 * const store = await openStore("sqlite:.tributary/tributary.db");
 * const shared = await openStore("postgres://tributary:secret@db:5432/tributary");
 */
export async function openStore(url: string, o: { serverId?: string } = {}): Promise<Store> {
  const value = url.trim();
  if (value === "") throw new Error("--store is empty: pass sqlite:PATH or a file path");
  if (/^postgres(ql)?:\/\//i.test(value)) return openPostgres(value, o.serverId);
  if (/^sqlite:/i.test(value)) {
    let path = value.slice("sqlite:".length);
    if (path.startsWith("//")) path = path.slice(2); // sqlite:///abs/path and sqlite://rel/path
    if (path === "") throw new Error(`--store ${value}: missing the database path after "sqlite:"`);
    return createSqliteStore(path);
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value);
  if (scheme)
    throw new Error(
      `--store ${redactUrl(value)}: unknown scheme "${scheme[1]}:"; use sqlite:PATH, postgres://… or a file path`,
    );
  return createSqliteStore(value);
}

/**
 * The blob store inside the PostgreSQL database of a `postgres://…` store URL (same `?schema=`),
 * on a small pool of its own so that long uploads never hold the store's connections. The blob
 * tables come with the store's migrations: open (and migrate) the store first.
 *
 * @example
 * const store = await openStore(url);
 * const blobs = await openPostgresBlobStore(url);
 * await blobs.put("bundles/greet/1", bundle);
 * await blobs.close();
 */
export async function openPostgresBlobStore(url: string): Promise<PostgresBlobStore> {
  try {
    const { url: server, schema } = splitSchema(url);
    const [{ connect }, { createPostgresBlobStore }] = await Promise.all([
      import("./postgres/connect.js"),
      import("./postgres/blobs.js"),
    ]);
    return createPostgresBlobStore(connect(server, { max: 4, ...(schema === undefined ? {} : { schema }) }));
  } catch (e) {
    // eslint-disable-next-line preserve-caught-error -- the cause may hold the URL's password
    throw new Error(`--store ${redactUrl(url)}: ${hidePassword(url, e)}`);
  }
}

/** `schema` is ours, not a server parameter: taken out before the driver sees the URL. */
function splitSchema(url: string): { url: string; schema: string | undefined } {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get("schema") ?? undefined;
  if (schema === undefined) return { url, schema };
  parsed.searchParams.delete("schema");
  return { url: parsed.toString(), schema };
}

async function openPostgres(url: string, serverId: string | undefined): Promise<Store> {
  let store: Store;
  try {
    const { url: server, schema } = splitSchema(url);
    const { createPostgresStore } = await import("./postgres/index.js");
    store = createPostgresStore(server, {
      ...(schema === undefined ? {} : { schema }),
      ...(serverId === undefined ? {} : { serverId }),
    });
  } catch (e) {
    // eslint-disable-next-line preserve-caught-error -- the cause may hold the URL's password
    throw new Error(`--store ${redactUrl(url)}: ${hidePassword(url, e)}`);
  }
  try {
    await store.migrate();
    return store;
  } catch (e) {
    await store.close().catch(() => {});
    // eslint-disable-next-line preserve-caught-error -- the cause may hold the URL's password
    throw new Error(`--store ${redactUrl(url)}: cannot open the PostgreSQL store: ${hidePassword(url, e)}`);
  }
}

/** The error's message with the URL's password (if any) masked, wherever the driver echoed it. */
function hidePassword(url: string, e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const password = /^[a-z][a-z0-9+.-]*:\/\/[^:/@]*:([^@/]*)@/i.exec(url)?.[1];
  return password ? message.split(password).join("***").split(decodeURIComponentSafe(password)).join("***") : message;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
