/**
 * CPU per request of the system under test, the figure that survives a loaded machine (latencies do
 * not: on the shared 2-core machine they move 3× between identical runs).
 *
 *   node dist/bench/cpu-per-request.js [trivial=400] [sse=400] [chain=40] [map=1]
 *
 * Starts the system as `npm run bench` does (bench/system.ts: the dev topology unless
 * BENCH_TOPOLOGY=split, the default container backend unless BENCH_BACKEND), deploys bench/apps.ts,
 * warms each workload up, then runs it sequentially and prints one JSON line per workload: latency
 * p50/p90 (ms), the CPU (user + system, every thread) of the server process and of its descendants
 * (the containers) per request in ms, read from /proc in 10 ms ticks, and the load average. Run two
 * builds one after the other, several rounds, to compare them. `BENCH_STORE=postgres://…?schema=x`
 * runs the server on that store, exactly as given, instead of a fresh SQLite file (name a new
 * lower-case schema for each run; it is left behind).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { processTree } from "../src/executor/limits/usage.js";
import { quantile, timeSequential } from "./stats.js";
import { startSystem, type BenchSystem } from "./system.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** utime + stime (own) and cutime + cstime (reaped children) of `pid`, in seconds; zeros when gone. */
function cpuSeconds(pid: number): { own: number; reaped: number } {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields start after the last ')' (the command may hold spaces); 14–17 of proc(5) are at 11–14.
    const f = text
      .slice(text.lastIndexOf(")") + 2)
      .split(" ")
      .map(Number);
    return { own: (f[11]! + f[12]!) / 100, reaped: (f[13]! + f[14]!) / 100 };
  } catch {
    return { own: 0, reaped: 0 };
  }
}

/** CPU ms of the server process itself, and of its containers (live descendants and reaped children). */
function cpuOf(pid: number): { server: number; containers: number } {
  const [root, ...rest] = processTree(pid);
  const top = cpuSeconds(root!);
  let containers = top.reaped;
  for (const p of rest) {
    const c = cpuSeconds(p);
    containers += c.own + c.reaped; // a dead process is in exactly one live parent's reaped figure
  }
  return { server: top.own * 1000, containers: containers * 1000 };
}

const WORKLOADS: Record<string, { warm: number; run: (s: BenchSystem) => Promise<unknown> }> = {
  trivial: { warm: 50, run: (s) => s.http.invokeAndWait("trivial", null) },
  sse: { warm: 50, run: (s) => s.http.invokeSse("trivial", null) },
  chain: { warm: 10, run: (s) => s.http.invokeAndWait("chain10", null) },
  map: { warm: 1, run: (s) => s.http.invokeAndWait("map_items", 10_000) },
};

async function main(): Promise<void> {
  const asked = process.argv.slice(2).map((a) => a.split("=") as [string, string]);
  for (const [name] of asked) if (!WORKLOADS[name]) throw new Error(`unknown workload ${name}`);
  const dir = mkdtempSync(join(tmpdir(), "tributary-cpu-"));
  const sys = await startSystem({
    dir,
    store: process.env.BENCH_STORE ?? `sqlite:${join(dir, "db.sqlite")}`,
    cpu: 8,
    serverProfileDir: process.env.CPU_PROF_DIR ?? null,
  });
  try {
    await sys.deploy(join(ROOT, "bench", "apps.ts"));
    const pid = sys.cluster.serverPid;
    for (const [name, n] of asked) {
      const w = WORKLOADS[name]!;
      const count = Number(n);
      await timeSequential(w.warm, () => w.run(sys));
      const load = loadavg()[0]!;
      const before = cpuOf(pid);
      const lat = await timeSequential(count, () => w.run(sys));
      const after = cpuOf(pid);
      const per = (k: "server" | "containers"): number => Math.round(((after[k] - before[k]) / count) * 1000) / 1000;
      process.stdout.write(
        `${JSON.stringify({
          workload: name,
          n: count,
          p50: Math.round(quantile(lat, 0.5) * 1000) / 1000,
          p90: Math.round(quantile(lat, 0.9) * 1000) / 1000,
          serverCpuMsPerRequest: per("server"),
          containersCpuMsPerRequest: per("containers"),
          load: Math.round(load * 100) / 100,
        })}\n`,
      );
    }
  } finally {
    await sys.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
