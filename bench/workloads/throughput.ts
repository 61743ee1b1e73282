/** Throughput with 32 closed-loop clients, each doing invoke → output of the trivial request. */
import { closedLoop, ms, perSec, quantile } from "../stats.js";
import type { Workload } from "./context.js";

export const throughput: Workload = {
  name: "throughput",
  async run(ctx) {
    const clients = 32;
    const seconds = ctx.config.quick ? 3 : 10;
    // Warm-up at full concurrency, so the pool already holds the containers the load needs.
    await closedLoop(clients, 1000, () => ctx.http.invokeAndWait("trivial", null));
    const before = await ctx.cluster.executorStats();
    const r = await closedLoop(clients, seconds * 1000, () => ctx.http.invokeAndWait("trivial", null));
    const after = await ctx.cluster.executorStats();
    const rate = (r.done / r.elapsedMs) * 1000;
    const started = after.started - before.started;
    const reused = after.reused - before.reused;
    const note = `${clients} clients, ${seconds} s, ${r.done} ok, ${r.errors} errors`;
    return [
      ctx.row({
        workload: "throughput, 32 clients",
        figure: "requests/s",
        value: rate,
        unit: "per_s",
        shown: perSec(rate),
        target: "≥ 2,000/s",
        met: rate >= 2000 && r.errors === 0,
        note,
      }),
      ctx.row({
        workload: "throughput, 32 clients",
        figure: "p50 / p99 latency",
        value: quantile(r.latencies, 0.5),
        unit: "ms",
        shown: `${ms(quantile(r.latencies, 0.5))} / ${ms(quantile(r.latencies, 0.99))}`,
        target: "",
        met: null,
        note,
      }),
      ctx.row({
        workload: "throughput, 32 clients",
        figure: "containers started / reused",
        value: started,
        unit: "count",
        shown: `${started} / ${reused}`,
        target: "",
        met: null,
        note: "during the measured window",
      }),
    ];
  },
};
