/**
 * Container cold start (spawn → ready, timed inside the executor) and the warm-reuse rate. Each
 * round deploys a new version of bench/cold-app.ts, whose first call therefore needs a new container.
 */
import { join } from "node:path";
import { ms, quantile } from "../stats.js";
import type { Workload } from "./context.js";

export const coldStart: Workload = {
  name: "coldstart",
  async run(ctx) {
    const rounds = ctx.config.quick ? 5 : 20;
    const cold: number[] = [];
    let backend = "";
    const firstCall: number[] = [];
    const warmCall: number[] = [];
    for (let i = 0; i < rounds; i++) {
      await ctx.deploy(join(ctx.config.sourceDir, "cold-app.ts"));
      const before = (await ctx.cluster.executorStats()).coldStartsMs.length;
      let t0 = performance.now();
      await ctx.http.invokeAndWait("cold_start", null);
      firstCall.push(performance.now() - t0);
      t0 = performance.now();
      await ctx.http.invokeAndWait("cold_start", null);
      warmCall.push(performance.now() - t0);
      const stats = await ctx.cluster.executorStats();
      cold.push(...stats.coldStartsMs.slice(before));
      backend = stats.backend ?? "";
    }
    const p50 = quantile(cold, 0.5);
    const note = `${rounds} new versions; ${cold.length} containers timed${backend ? `; ${backend} backend` : ""}`;
    return [
      ctx.row({
        workload: "container cold start",
        figure: "p50 spawn→ready",
        value: p50,
        unit: "ms",
        shown: ms(p50),
        target: "≤ 150 ms",
        met: p50 <= 150,
        note,
      }),
      ctx.row({
        workload: "container cold start",
        figure: "p99 spawn→ready",
        value: quantile(cold, 0.99),
        unit: "ms",
        shown: ms(quantile(cold, 0.99)),
        target: "",
        met: null,
        note,
      }),
      ctx.row({
        workload: "container cold start",
        figure: "first call / warm call p50",
        value: quantile(firstCall, 0.5),
        unit: "ms",
        shown: `${ms(quantile(firstCall, 0.5))} / ${ms(quantile(warmCall, 0.5))}`,
        target: "",
        met: null,
        note: "invoke→output right after a deploy, then again",
      }),
    ];
  },
};
