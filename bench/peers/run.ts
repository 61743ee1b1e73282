/**
 * `npm run bench:peers [-- --quick] [--reinstall]`: the same three workloads on Tributary and on
 * Restate, one system at a time on this machine, printed side by side with the ratio
 * (Tributary ÷ Restate; below 1 is better for latencies, above 1 is better for throughput).
 *
 * Everything it starts runs in its own process group and is killed at the end; the whole run is
 * bounded by a hard deadline.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeJson } from "../results.js";
import { startSystem } from "../system.js";
import { measure, type Figures } from "./compare.js";
import { install } from "./install.js";
import { killAll } from "./procs.js";
import { startRestate } from "./restate.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const DEADLINE_MS = 20 * 60_000;

const log = (m: string): void => void process.stderr.write(m + "\n");

function expectOk(status: number, body: string, what: string): void {
  if (status !== 200) throw new Error(`${what}: HTTP ${status} ${body.slice(0, 300)}`);
}

/** Tributary on both client paths of its docs: `?wait=` and the SSE invoke. */
interface TributaryFigures {
  wait: Figures;
  sse: Figures;
}

async function tributary(quick: boolean): Promise<TributaryFigures> {
  const dir = mkdtempSync(join(tmpdir(), "tributary-peers-"));
  const sys = await startSystem({ dir, store: `sqlite:${join(dir, "db.sqlite")}`, cpu: 8 });
  try {
    await sys.deploy(join(ROOT, "bench", "apps.ts"));
    log("tributary (?wait=):");
    const wait = await measure(
      {
        trivial: () => sys.http.invokeAndWait("trivial", null),
        chain10: () => sys.http.invokeAndWait("chain10", null),
      },
      quick,
      log,
    );
    log("tributary (SSE invoke):");
    const sse = await measure(
      {
        trivial: () => sys.http.invokeSse("trivial", null),
        chain10: () => sys.http.invokeSse("chain10", null),
      },
      quick,
      log,
    );
    return { wait, sse };
  } finally {
    await sys.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Temporary directories to remove after every process is dead. */
const scratch: string[] = [];

async function restate(
  quick: boolean,
  reinstall: boolean,
): Promise<{ figures: Figures; steps10P50: number; version: string }> {
  const p = install(ROOT, reinstall, log);
  const rig = await startRestate(p, log);
  scratch.push(rig.baseDir);
  const call = async (h: string): Promise<string> => {
    const r = await rig.ingress.request("POST", `/Bench/${h}`, "null");
    expectOk(r.status, r.body, `Bench/${h}`);
    return r.body;
  };
  log("restate:");
  const figures = await measure({ trivial: () => call("trivial"), chain10: () => call("chain10") }, quick, log);
  // For reference: 10 journaled ctx.run steps in one invocation (no new invocations).
  const steps: number[] = [];
  for (let i = 0; i < (quick ? 20 : 100); i++) {
    const t0 = performance.now();
    await call("steps10");
    steps.push(performance.now() - t0);
  }
  steps.sort((a, b) => a - b);
  rig.ingress.close();
  return { figures, steps10P50: steps[Math.floor(steps.length / 2)]!, version: rig.version };
}

function table(all: TributaryFigures, r: Figures): string {
  const lines = [
    "| workload | Tributary client path | Tributary | Restate | Tributary ÷ Restate | |",
    "|---|---|---:|---:|---:|---|",
  ];
  for (const [path, t] of [
    ["SSE invoke", all.sse],
    ["?wait=", all.wait],
  ] as const) {
    const rows: [string, number, number, string][] = [
      ["trivial invoke→output p50 (ms)", t.trivialP50, r.trivialP50, "lower is better"],
      ["trivial invoke→output p99 (ms)", t.trivialP99, r.trivialP99, "lower is better"],
      ["chain of 10 nested calls p50 (ms)", t.chainP50, r.chainP50, "lower is better"],
      ["per nested call (ms)", t.perCall, r.perCall, "lower is better"],
      ["32 clients throughput (req/s)", t.throughput, r.throughput, "higher is better"],
      ["32 clients p50 latency (ms)", t.loadP50, r.loadP50, "lower is better"],
    ];
    for (const [name, a, b, note] of rows)
      lines.push(`| ${name} | ${path} | ${a.toFixed(2)} | ${b.toFixed(2)} | ${(a / b).toFixed(2)}× | ${note} |`);
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  for (const a of argv)
    if (a !== "--quick" && a !== "--reinstall") throw new Error(`unknown argument ${a}; use --quick, --reinstall`);
  const quick = argv.includes("--quick");
  const deadline = setTimeout(() => {
    log(`bench:peers: deadline of ${DEADLINE_MS / 60_000} min passed; killing everything`);
    void killAll(2000).finally(() => process.exit(2));
  }, DEADLINE_MS);
  const date = new Date().toISOString();
  try {
    // One system at a time, so neither competes with the other for the 2 cores.
    const t = await tributary(quick);
    const r = await restate(quick, argv.includes("--reinstall"));
    const out = table(t, r.figures);
    process.stdout.write(
      `\nPeers — ${date}${quick ? " (quick)" : ""}; Restate ${r.version}, chain = 10 service-to-service calls; Restate steps10 (10 ctx.run in one invocation) p50 ${r.steps10P50.toFixed(2)} ms\n${out}\n`,
    );
    const file = join(ROOT, "bench", "results", quick ? "peers-quick.json" : "peers-latest.json");
    writeJson(file, {
      date,
      quick,
      node: process.version,
      restate: r.version,
      tributary: t,
      restateFigures: r.figures,
      restateSteps10P50: r.steps10P50,
    });
    process.stdout.write(`results: ${file}\n`);
  } finally {
    clearTimeout(deadline);
    await killAll();
    for (const d of scratch) rmSync(d, { recursive: true, force: true });
  }
}

main().catch(async (e: unknown) => {
  log(`bench:peers failed: ${(e as Error).stack ?? String(e)}`);
  await killAll();
  process.exit(1);
});
