/**
 * `npm run bench [-- --quick] [--only a,b] [--store sqlite|postgres|postgres://…] [--profile] [--cpu N] [--out FILE]`
 *
 * Starts the system under test in child processes (bench/serve.ts), deploys bench/apps.ts, runs
 * each workload, prints the table (workload, figure, target, met?) and writes a JSON result file.
 * `--profile` runs the server and the executor under `--cpu-prof` and prints their top self-time
 * functions (use it
 * with `--only`, so the profile covers one workload). `BENCH_FILL` sets the store_1m fill size;
 * `BENCH_BACKEND=process` runs the containers on the process backend instead of the default (sandbox).
 * `--store` runs one store only: `sqlite`, `postgres` (at `BENCH_POSTGRES_URL` or the local default)
 * or a `postgres://…` URL (a fresh schema is added unless it names one, and dropped after the run).
 * `BENCH_KEEP=1` keeps the work directory (profiles, SQLite file, logs) and that schema.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { backends, dispose, type Backend } from "./backends.js";
import { newestProfile, topSelfTime, formatSelfTime } from "./profile.js";
import { calibrate } from "./calibrate.js";
import { pipelineFloor } from "./pipeline-floor.js";
import { printTable, writeJson, type Row } from "./results.js";
import { pct } from "./stats.js";
import { startSystem } from "./system.js";
import type { BenchConfig, Workload, WorkloadContext } from "./workloads/context.js";
import { chain, trivial } from "./workloads/latency.js";
import { coldStart } from "./workloads/cold-start.js";
import { devTree } from "./workloads/dev-tree.js";
import { map } from "./workloads/map.js";
import { progress } from "./workloads/progress.js";
import { storeSize } from "./workloads/store-size.js";
import { scaleOut } from "./workloads/scale-out.js";
import { throughput } from "./workloads/throughput.js";

/** In the order they run: cheap and latency-sensitive first, the store filler last. */
const WORKLOADS: Workload[] = [trivial, chain, throughput, scaleOut, map, coldStart, progress, storeSize, devTree];

interface Args {
  quick: boolean;
  only: string[] | null;
  profile: boolean;
  cpu: number;
  out: string;
  store: string | null;
}

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

function parseArgs(argv: string[]): Args {
  const a: Args = { quick: false, only: null, profile: false, cpu: 8, out: "", store: null };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === "--quick") a.quick = true;
    else if (k === "--only")
      a.only = v()
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
    else if (k === "--profile") a.profile = true;
    else if (k === "--cpu") a.cpu = Number(v());
    else if (k === "--out") a.out = v();
    else if (k === "--store") a.store = v();
    else
      throw new Error(
        `unknown argument ${k}; use --quick, --only a,b, --store sqlite|postgres|postgres://…, --profile, --cpu N, --out FILE`,
      );
  }
  a.out ||= join(
    ROOT,
    "bench/results",
    `${a.quick ? "quick" : a.only ? `only-${a.only.join("-")}` : "latest"}${a.store ? `-${a.store.split(":")[0]}` : ""}.json`,
  );
  const names = ["floor", ...WORKLOADS.map((w) => w.name)];
  for (const o of a.only ?? [])
    if (!names.includes(o)) throw new Error(`--only ${o}: unknown workload; one of ${names.join(", ")}`);
  return a;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const fill = Number(process.env.BENCH_FILL ?? (args.quick ? 20_000 : 1_000_000));
  const workDir = mkdtempSync(join(tmpdir(), "tributary-bench-"));
  const config: BenchConfig = { quick: args.quick, fill, cpu: args.cpu, sourceDir: join(ROOT, "bench"), workDir };
  const log = (m: string): void => void process.stderr.write(m + "\n");
  const started = new Date();
  log(
    `tributary bench ${args.quick ? "(quick) " : ""}${started.toISOString()} · node ${process.version} · ${availableParallelism()} CPUs (${cpus()[0]?.model ?? "?"}) · ${(totalmem() / 2 ** 30).toFixed(0)} GB · executor cpu=${args.cpu}`,
  );
  // Other work on the machine skews every figure: record the load around the run.
  const loadBefore = loadavg();
  log(`load average before: ${loadBefore.map((x) => x.toFixed(2)).join(" ")}`);
  const rows: Row[] = [];
  const profiles: Record<string, string> = {};
  const selected = WORKLOADS.filter((w) => !args.only || args.only.includes(w.name));
  try {
    if (!args.only || args.only.includes("floor")) {
      log("machine: floor (IPC, HTTP, SQLite commit) …");
      rows.push(...(await calibrate()));
      log("machine: floor pipeline (HTTP, commits, IPC; no Tributary code) …");
      rows.push(...(await pipelineFloor(args.quick)));
    }
    for (const backend of selected.length ? await backends(workDir, args.store) : []) {
      if (!backend.available) {
        log(`${backend.name}: skipped (${backend.reason})`);
        continue;
      }
      const profileDir = args.profile ? join(workDir, `prof-${backend.name}`) : null;
      const exProfileDir = args.profile ? join(workDir, `prof-${backend.name}-executor`) : null;
      const sys = await startSystem({
        dir: join(workDir, backend.name),
        store: backend.store,
        cpu: args.cpu,
        serverProfileDir: profileDir,
        executorProfileDir: exProfileDir,
      }).catch(async (e: unknown) => {
        await disposeUnlessKept(backend);
        throw e;
      });
      const ctx: WorkloadContext = {
        backend: backend.name,
        store: backend.store,
        cluster: sys.cluster,
        http: sys.http,
        config,
        deploy: (f) => sys.deploy(f),
        row: (r) => ({ backend: backend.name, ...r }),
        log,
      };
      try {
        await sys.deploy(join(config.sourceDir, "apps.ts"));
        for (const w of selected) {
          if (w.sqliteOnly && !backend.store.startsWith("sqlite:")) continue;
          if (w.sharedStoreOnly && backend.store.startsWith("sqlite:")) continue;
          const t0 = performance.now();
          log(`${backend.name}: ${w.name} … (load ${loadavg()[0]!.toFixed(2)})`);
          const got = await w.run(ctx);
          rows.push(...got);
          log(`${backend.name}: ${w.name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        }
        const s = await sys.cluster.executorStats();
        const reuse = s.reused / Math.max(1, s.started + s.reused);
        rows.push(
          ctx.row({
            workload: "container pool (whole run)",
            figure: "warm-reuse rate",
            value: reuse,
            unit: "ratio",
            shown: pct(reuse),
            target: "",
            met: null,
            note: `${s.reused} reused / ${s.started} started`,
          }),
        );
      } finally {
        try {
          await sys.stop();
        } finally {
          await disposeUnlessKept(backend);
        }
      }
      for (const [who, dir] of [
        ["server", profileDir],
        ["executor", exProfileDir],
      ] as const) {
        const file = dir ? newestProfile(dir) : null;
        if (!file) continue;
        const text = formatSelfTime(topSelfTime(file, 25));
        profiles[`${backend.name}-${who}`] = text;
        log(`\n${who} CPU profile (${backend.name}, ${file}):\n${text}\n`);
      }
    }
  } finally {
    if (!process.env.BENCH_KEEP) rmSync(workDir, { recursive: true, force: true });
  }
  const loadAfter = loadavg();
  process.stdout.write(
    `\nTributary benchmarks — ${started.toISOString()}${args.quick ? " (quick: smaller n, targets indicative only)" : ""}\n`,
  );
  printTable(rows);
  process.stdout.write(
    `load average before ${loadBefore.map((x) => x.toFixed(2)).join(" ")}, after ${loadAfter.map((x) => x.toFixed(2)).join(" ")}\n`,
  );
  writeJson(args.out, {
    date: started.toISOString(),
    quick: args.quick,
    node: process.version,
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model,
    executorCpu: args.cpu,
    fill,
    loadBefore,
    loadAfter,
    argv: process.argv.slice(2),
    rows,
    profiles,
  });
  process.stdout.write(`results: ${args.out}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});

/** Drops the run's own schema unless `BENCH_KEEP` is set; a failure to drop is said, never thrown over the run's own error. */
async function disposeUnlessKept(backend: Backend): Promise<void> {
  if (process.env.BENCH_KEEP) return;
  await dispose(backend).catch((e: unknown) =>
    process.stderr.write(`bench: could not drop schema ${backend.freshSchema}: ${(e as Error).message}\n`),
  );
}
