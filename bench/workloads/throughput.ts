/**
 * Throughput with 32 closed-loop clients, each doing invoke → output of the trivial request, on each
 * client path (`?wait=`, then the SSE invoke). The machine's CPU use during the window tells whether
 * the figure is bound by the cores (near 100 %) or by a wait somewhere in the system (below).
 */
import { machineCpu } from "../machine-cpu.js";
import { closedLoop, ms, pct, perSec, quantile } from "../stats.js";
import type { Row } from "../results.js";
import type { Workload, WorkloadContext } from "./context.js";
import { invokeOn, type ClientPath } from "./latency.js";

export const throughput: Workload = {
  name: "throughput",
  async run(ctx) {
    const rows = [];
    for (const path of ["wait", "sse"] as const) rows.push(...(await measure(ctx, path)));
    return rows;
  },
};

async function measure(ctx: WorkloadContext, path: ClientPath): Promise<Row[]> {
  const clients = 32;
  const seconds = ctx.config.quick ? 3 : 10;
  const once = (): Promise<string> => invokeOn(ctx, path, "trivial", null);
  // Warm-up at full concurrency, so the pool already holds the containers the load needs.
  await closedLoop(clients, 1000, once);
  const before = await ctx.cluster.executorStats();
  const cpu = machineCpu();
  const r = await closedLoop(clients, seconds * 1000, once);
  const busy = cpu.stop();
  const after = await ctx.cluster.executorStats();
  const rate = (r.done / r.elapsedMs) * 1000;
  const started = after.started - before.started;
  const reused = after.reused - before.reused;
  const note = `${clients} clients, ${seconds} s, ${r.done} ok, ${r.errors} errors; client path ${path === "sse" ? "SSE invoke" : "?wait="}`;
  const workload = `throughput, 32 clients (${path === "sse" ? "SSE" : "?wait="})`;
  return [
    ctx.row({
      workload,
      figure: "requests/s",
      value: rate,
      unit: "per_s",
      shown: perSec(rate),
      target: "≥ 3× Restate (bench:peers)",
      met: null,
      note,
    }),
    ctx.row({
      workload,
      figure: "p50 / p99 latency",
      value: quantile(r.latencies, 0.5),
      unit: "ms",
      shown: `${ms(quantile(r.latencies, 0.5))} / ${ms(quantile(r.latencies, 0.99))}`,
      target: "",
      met: null,
      note,
    }),
    ctx.row({
      workload,
      figure: "containers started / reused",
      value: started,
      unit: "count",
      shown: `${started} / ${reused}`,
      target: "",
      met: null,
      note: "during the measured window",
    }),
    ctx.row({
      workload,
      figure: "machine CPU busy",
      value: busy,
      unit: "ratio",
      shown: pct(busy),
      target: "",
      met: null,
      note: "all cores, from /proc/stat, during the measured window (the bench client included)",
    }),
  ];
}
