/**
 * Store backends the benchmark runs on: SQLite always; PostgreSQL when it answers, at
 * `BENCH_POSTGRES_URL` or the local default (127.0.0.1:5432, database `test`), in a fresh schema.
 * Workloads marked `sqliteOnly` (the 1M-request fill writes SQLite directly) skip PostgreSQL.
 */
import { connect } from "node:net";
import { join } from "node:path";

export interface Backend {
  name: string;
  store: string;
  available: boolean;
  reason?: string;
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
  if (!url.searchParams.has("schema")) url.searchParams.set("schema", `bench_${process.pid}_${Date.now()}`);
  const up = await reachable(url.hostname, Number(url.port || 5432));
  const postgres = {
    name: "postgres",
    store: url.toString(),
    available: up,
    ...(up ? {} : { reason: `PostgreSQL is not reachable at ${url.host}` }),
  };
  return only === null ? [sqlite, postgres] : [postgres];
}
