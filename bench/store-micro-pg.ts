/**
 * The PostgreSQL store's own cost of one trivial request, without server, executor or HTTP:
 *
 *   node dist/bench/store-micro-pg.js [n=3000] [batch=32] [warm=1000] [apart=0] [url=postgres://127.0.0.1:5432/test]
 *
 * Drives the store (group commit on, as a server opens it) through a trivial request's writes
 * (bench/store-workload.ts) in a fresh schema, dropped at the end. Prints one JSON line: CPU µs per
 * request of the Node process (user + system), wall µs, and the CPU µs per request of the database
 * backends serving the store's connections (bench/pg-backends.ts; the WAL writer and the other
 * database processes are not counted), and those backends' pids.
 * `apart=1` issues each start after its create committed (no fusion: the path of a root call that
 * waits for a container). With `--cpu-prof`, the profile covers the warm-up too; compare runs A/B, alternating.
 */
import postgres from "postgres";
import { createPostgresStore } from "../src/store/postgres/index.js";
import { cpuUsOf, ownBackends } from "./pg-backends.js";
import { arg, drive, measure } from "./store-workload.js";

async function main(): Promise<void> {
  const n = arg("n", 3000);
  const batch = arg("batch", 32);
  const warm = arg("warm", 1000);
  const apart = arg("apart", 0) === 1;
  const urlArg = process.argv.slice(2).find((x) => x.startsWith("url="));
  const url = urlArg ? urlArg.slice(4) : "postgres://127.0.0.1:5432/test";
  const schema = `store_micro_${process.pid}`;
  const store = createPostgresStore(url, { schema });
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await store.migrate();
    await drive(store, warm, batch, undefined, apart);
    // The backends of the store's pool (the admin connection's own is left out): their CPU over
    // the measured run is the database's cost of it, other clients of the server apart.
    const backends = await ownBackends(admin);
    const pg0 = cpuUsOf(backends);
    const m = await measure(store, n, batch, apart);
    const pgBackendUsPerRequest = Math.round(((cpuUsOf(backends) - pg0) / n) * 10) / 10;
    console.log(JSON.stringify({ n, batch, apart, ...m, pgBackendUsPerRequest, backends }));
  } finally {
    await store.close();
    await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}

await main();
