/**
 * A Tributary process for the benchmarks, forked by the driver with an IPC channel:
 *
 *   node dist/bench/serve.js server   <storeUrl> <blobDir | "-": in the PostgreSQL store>
 *   node dist/bench/serve.js executor <serverUrl> <dataDir> <cpu>
 *
 * It runs in its own process so the load generator's CPU and memory never count as the server's.
 * The executor role also times every container's init (spawn → ready), which the engine does not
 * record; the timing wraps the prototype method, so no engine code changes for the benchmark.
 */
import { createServer } from "../src/server/index.js";
import { createExecutor } from "../src/executor/index.js";
import type { ContainerBackend } from "../src/executor/backends/kinds.js";
import { ContainerProcess } from "../src/executor/container-process.js";
import type { FromServe, ToServe } from "./protocol.js";

const send = (m: FromServe): void => void process.send?.(m);

/** Cold-start durations (ms). `new ContainerProcess` forks, then `init` is called at once. */
const coldStartsMs: number[] = [];

/** The container backend (`BENCH_BACKEND`; unset: the executor's default, the sandbox where it works). */
const BACKEND = (process.env.BENCH_BACKEND || undefined) as ContainerBackend | undefined;

function instrumentContainers(): void {
  const original = ContainerProcess.prototype.init;
  ContainerProcess.prototype.init = function timedInit(this: ContainerProcess): Promise<void> {
    const t0 = performance.now();
    const p = original.call(this);
    p.then(
      () => coldStartsMs.push(performance.now() - t0),
      () => {},
    );
    return p;
  };
}

async function main(): Promise<void> {
  const [role, a, b, c] = process.argv.slice(2);
  const blobs = b === "-" ? undefined : b;
  let stop: () => Promise<void>;
  if (role === "server" && a && b) {
    const server = await createServer({ host: "127.0.0.1", port: 0, store: a, blobs, unsatisfiableGraceMs: 0 });
    stop = () => server.close();
    send({ t: "ready", url: server.url, pid: process.pid });
  } else if (role === "dev" && a && b && c) {
    // Server and executor in one process over the in-process link, as `tributary dev` runs them.
    instrumentContainers();
    const server = await createServer({ host: "127.0.0.1", port: 0, store: a, blobs, unsatisfiableGraceMs: 0 });
    const ex = await createExecutor({
      servers: [server.url],
      transport: server.localTransport,
      dataDir: c,
      cpu: Number(process.argv[6] ?? 8),
      region: "*",
      backend: BACKEND,
    });
    stop = async () => {
      await ex.stop();
      await server.close();
    };
    process.on("message", (m: ToServe) => {
      if (m.t === "stats")
        send({ t: "stats", id: m.id, ...ex.stats(), coldStartsMs: [...coldStartsMs], backend: ex.backend });
    });
    send({ t: "ready", url: server.url, pid: process.pid });
  } else if (role === "executor" && a && b) {
    instrumentContainers();
    const ex = await createExecutor({ servers: [a], dataDir: b, cpu: Number(c ?? 8), region: "*", backend: BACKEND });
    stop = () => ex.stop();
    process.on("message", (m: ToServe) => {
      if (m.t === "stats")
        send({ t: "stats", id: m.id, ...ex.stats(), coldStartsMs: [...coldStartsMs], backend: ex.backend });
    });
    send({ t: "ready", pid: process.pid });
  } else {
    throw new Error(
      "usage: serve.js server <db> <blobs> | executor <url> <dataDir> <cpu> | dev <db> <blobs> <dataDir> <cpu>",
    );
  }
  let stopping = false;
  const shutdown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    // A bounded stop: a wedged close must not keep the benchmark (or --cpu-prof's write) waiting.
    const timer = setTimeout(() => process.exit(3), 10_000);
    await stop().catch(() => {});
    clearTimeout(timer);
    // process.exit (not a signal) so that --cpu-prof writes its profile.
    process.exit(0);
  };
  process.on("message", (m: ToServe) => void (m.t === "stop" && shutdown()));
  // The driver died: never outlive it.
  process.on("disconnect", () => void shutdown());
  process.on("SIGTERM", () => void shutdown());
}

main().catch((e: unknown) => {
  send({ t: "error", message: (e as Error).stack ?? String(e) });
  process.exit(1);
});
