/**
 * Store backends the benchmark runs on: SQLite always; PostgreSQL when it answers, at
 * `BENCH_POSTGRES_URL` or the local default (127.0.0.1:5432, database `test`), in a fresh schema.
 * Workloads marked `sqliteOnly` (the 1M-request fill writes SQLite directly) skip PostgreSQL.
 * A schema the benchmark made up is dropped after its run (`dispose`), so repeated runs do not
 * pile tables up in the database; one named in the URL is the user's and is left alone.
 */
import { connect } from "node:net";
import { join } from "node:path";
import postgres from "postgres";

export interface Backend {
  name: string;
  store: string;
  available: boolean;
  reason?: string;
  /** The schema this run made up for itself (dropped by `dispose`), if any. */
  freshSchema?: string;
}

function reachable(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

/** Every backend, or only the one `only` names (`sqlite`, `postgres` or a `postgres://…` URL). */
export async function backends(workDir: string, only: string | null = null): Promise<Backend[]> {
  if (only !== null && !/^(sqlite|postgres)$|^postgres(ql)?:\/\//.test(only))
    throw new Error(`--store ${only}: use sqlite, postgres or a postgres://… URL`);
  const sqlite = { name: "sqlite", store: `sqlite:${join(workDir, "sqlite", "db.sqlite")}`, available: true };
  if (only === "sqlite") return [sqlite];
  const base = only?.includes("://")
    ? only
    : (process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test");
  const url = new URL(base);
  const fresh = url.searchParams.has("schema") ? null : `bench_${process.pid}_${Date.now()}`;
  if (fresh !== null) url.searchParams.set("schema", fresh);
  const up = await reachable(url.hostname, Number(url.port || 5432));
  const pg: Backend = {
    name: "postgres",
    store: url.toString(),
    available: up,
    ...(up ? {} : { reason: `PostgreSQL is not reachable at ${url.host}` }),
    ...(fresh === null ? {} : { freshSchema: fresh }),
  };
  return only === null ? [sqlite, pg] : [pg];
}

/** Drops the schema `b` made up for this run (after every process using it has stopped). */
export async function dispose(b: Backend): Promise<void> {
  if (b.freshSchema === undefined) return;
  const url = new URL(b.store);
  url.searchParams.delete("schema");
  const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    // The name is ours (bench_<pid>_<ms>), never input: safe to splice into DDL.
    await sql.unsafe(`DROP SCHEMA IF EXISTS ${b.freshSchema} CASCADE`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
