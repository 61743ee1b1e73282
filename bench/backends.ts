/**
 * Store backends the benchmark runs on. SQLite always; PostgreSQL when `BENCH_POSTGRES_URL` is set
 * and the build has an adapter (today `openStore` refuses postgres:// URLs, so it is skipped with a
 * notice). Adding PostgreSQL later means flipping `available` here: workloads take the store URL.
 */
import { join } from "node:path";

export interface Backend {
  name: string;
  store: string;
  available: boolean;
  reason?: string;
}

export function backends(workDir: string): Backend[] {
  const pg = process.env.BENCH_POSTGRES_URL;
  return [
    { name: "sqlite", store: `sqlite:${join(workDir, "sqlite", "db.sqlite")}`, available: true },
    {
      name: "postgres",
      store: pg ?? "",
      available: false,
      reason: pg ? "this build has no PostgreSQL store adapter yet (openStore refuses postgres:// URLs)" : "no PostgreSQL store adapter in this build yet, and BENCH_POSTGRES_URL is not set",
    },
  ];
}
