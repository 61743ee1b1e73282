/**
 * `npm run chaos [-- --n 100 --seed 1 --chaos-seconds 60 --drain-seconds 180 --gap-ms 150 --kill-min-ms 500 --kill-max-ms 2000 --cluster 3]`
 * (`--gap-ms`: mean pause between invokes; `--kill-*-ms`: bounds of the pause between kills;
 * `--cluster N`: N servers on one PostgreSQL schema (TRIBUTARY_TEST_POSTGRES_URL) instead of one
 * SQLite server, clients spread over them, servers killed in turn and survivors taking over)
 *
 * N requests of a small tree application (e2e/chaos/apps.ts) against a real `tributary server` and
 * two `tributary executor` processes, while a seeded monkey SIGKILLs containers, executors and the
 * server and restarts them on the same data and port. Then it waits for every request and reports:
 *   - requests lost: acknowledged but never finished, or finished without the right output;
 *   - finished calls re-run: a child that appended its "done" line appended it again, each with its
 *     cause from the journal and the kills (e2e/chaos/rerun-cause.ts); a child SIGKILLed between
 *     that line and its return never finished, and is counted apart as an unfinished call re-run.
 * Exits 1 when a request was lost or never acknowledged, or a re-run was the system's fault (all
 * but a process SIGKILLed between its side effect and its return). Not part of `npm test`.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { TributaryClient } from "../src/client/index.js";
import { deploy } from "../src/client/deploy.js";
import { deployment, stopAll, type Proc } from "../e2e/harness/processes.js";
import { runMonkey } from "../e2e/chaos/monkey.js";
import {
  classifyRerun,
  delivered,
  pollUntilFinished,
  reruns,
  starts,
  submit,
  type Planned,
  type Target,
} from "../e2e/chaos/requests.js";
import { clusterDeployment } from "../e2e/chaos/cluster-deployment.js";
import { createRng } from "../e2e/chaos/rng.js";
import { printSummary } from "../e2e/chaos/summary.js";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "100" },
    seed: { type: "string", default: "1" },
    "chaos-seconds": { type: "string", default: "60" },
    "drain-seconds": { type: "string", default: "180" },
    "gap-ms": { type: "string", default: "150" },
    "kill-min-ms": { type: "string", default: "500" },
    "kill-max-ms": { type: "string", default: "2000" },
    cluster: { type: "string", default: "0" },
  },
});
const N = Number(values.n);
const SEED = Number(values.seed);
const CHAOS_MS = Number(values["chaos-seconds"]) * 1000;
const DRAIN_MS = Number(values["drain-seconds"]) * 1000;
const GAP_MS = Number(values["gap-ms"]);
const KILL_MIN_MS = Number(values["kill-min-ms"]);
const KILL_MAX_MS = Number(values["kill-max-ms"]);
const CLUSTER = Number(values.cluster);
const APPS = new URL("../e2e/chaos/apps.ts", import.meta.url).pathname.replace("/dist/", "/");
const log = (s: string): void => void process.stdout.write(s + "\n");

// Whatever happens, nothing outlives the run: a watchdog kills every process group it started.
const watchdog = setTimeout(
  () => {
    log(`chaos: exceeded ${(CHAOS_MS + DRAIN_MS) / 1000 + 120} s; stopping`);
    void stopAll().finally(() => process.exit(2));
  },
  CHAOS_MS + DRAIN_MS + 120_000,
);
watchdog.unref();

async function main(): Promise<number> {
  const t0 = Date.now();
  // A short executor grace: a killed executor's attempts are rescheduled soon after it vanishes
  // (and in a cluster, a short lease: a killed server's requests are taken over soon).
  const env = { TRIBUTARY_EXECUTOR_GRACE_MS: "2000", TRIBUTARY_LEASE_MS: "3000" };
  const cluster = CLUSTER > 0 ? await clusterDeployment(CLUSTER, env) : null;
  const d = cluster ?? (await deployment(env));
  const target: Target = cluster ? cluster.pick : d.url;
  const workDir = join(d.dir, "work");
  mkdirSync(workDir);
  const executorData = (slot: number): string => join(d.dir, `executor-slot-${slot}`);
  const restartExecutor = (slot: number): Promise<Proc> => d.startExecutor(["--data", executorData(slot)]);
  if (!cluster) await d.startServer();
  const executors = [await restartExecutor(0), await restartExecutor(1)];
  await deploy(APPS, new TributaryClient({ server: d.url, apiKey: "" }));
  log(`chaos: n=${N} seed=${SEED} servers=${cluster ? cluster.urls.join(",") : d.url} data=${d.dir}`);

  // The plan and the monkey draw from separate streams, so one never shifts the other.
  const planRng = createRng(SEED);
  const plan: Array<Planned & { gap: number }> = Array.from({ length: N }, (_, i) => ({
    input: { dir: workDir, req: `r${i}`, children: planRng.int(2, 3), steps: planRng.int(3, 8) },
    key: `chaos-${SEED}-${i}`,
    invokeRetries: 0,
    gap: planRng.int(0, 2 * GAP_MS),
  }));

  const start = Date.now();
  const chaosEnd = start + CHAOS_MS;
  const drainEnd = chaosEnd + DRAIN_MS;
  let submitting = true;
  const submitted = (async () => {
    const acks: Array<Promise<void>> = [];
    for (const p of plan) {
      await new Promise((r) => setTimeout(r, p.gap));
      acks.push(submit(target, p, drainEnd));
    }
    await Promise.all(acks);
    submitting = false;
  })();
  const allDone = (): boolean =>
    !submitting && plan.every((p) => p.status === "succeeded" || p.status === "failed" || p.status === "cancelled");
  const polled = pollUntilFinished(target, plan, drainEnd, () => submitting);
  const monkey = runMonkey({
    d,
    executors,
    restartExecutor,
    executorData,
    workDir,
    rng: createRng(SEED ^ 0x9e3779b9),
    minGapMs: KILL_MIN_MS,
    maxGapMs: KILL_MAX_MS,
    shouldStop: () => Date.now() > chaosEnd || allDone(),
    log,
  });
  const { kills, idleRounds } = await monkey;
  const chaosSeconds = (Date.now() - start) / 1000;
  log(`chaos: monkey stopped after ${chaosSeconds.toFixed(1)} s; draining`);
  await submitted;
  await polled;

  const lost = plan.filter((p) => p.id !== undefined && !delivered(p));
  const unacknowledged = plan.filter((p) => p.id === undefined);
  const rerunList = plan.flatMap((p) => reruns(workDir, p).map((r) => ({ p, r })));
  const verdicts = await Promise.all(rerunList.map(({ p, r }) => classifyRerun(target, p, r, workDir, kills)));
  const failed = printSummary({
    n: N,
    seed: SEED,
    plan,
    lost,
    unacknowledged,
    reruns: rerunList.map(({ r }, i) => ({ ...r, ...verdicts[i]! })),
    kills,
    idleRounds,
    childStarts: plan.reduce((s, p) => s + starts(workDir, p), 0),
    childCalls: plan.reduce((s, p) => s + p.input.children, 0),
    chaosSeconds,
    wallSeconds: (Date.now() - t0) / 1000,
    log,
  });
  if (failed) {
    await stopAll();
    log(`chaos: data kept for inspection in ${d.dir}`);
  } else await d.cleanup();
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  async (e: unknown) => {
    log(`chaos: crashed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    await stopAll();
    process.exit(2);
  },
);
