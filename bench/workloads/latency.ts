/**
 * Invoke → output of a trivial request, sequential, and the latency each nested durable call adds
 * (a chain of 10 calls across containers, minus the trivial request, divided by 10).
 */
import { ms, quantile, timeSequential } from "../stats.js";
import type { Workload, WorkloadContext } from "./context.js";

export async function trivialLatencies(ctx: WorkloadContext, n: number): Promise<number[]> {
  await timeSequential(ctx.config.quick ? 20 : 50, () => ctx.http.invokeAndWait("trivial", null));
  return timeSequential(n, () => ctx.http.invokeAndWait("trivial", null));
}

export const trivial: Workload = {
  name: "trivial",
  async run(ctx) {
    const n = ctx.config.quick ? 100 : 300;
    const lat = await trivialLatencies(ctx, n);
    const p50 = quantile(lat, 0.5);
    const p99 = quantile(lat, 0.99);
    const note = `n=${n} sequential after warm-up`;
    return [
      ctx.row({
        workload: "trivial invoke→output",
        figure: "p50",
        value: p50,
        unit: "ms",
        shown: ms(p50),
        target: "≤ 2 ms",
        met: p50 <= 2,
        note,
      }),
      ctx.row({
        workload: "trivial invoke→output",
        figure: "p99",
        value: p99,
        unit: "ms",
        shown: ms(p99),
        target: "",
        met: null,
        note,
      }),
    ];
  },
};

export const chain: Workload = {
  name: "chain",
  async run(ctx) {
    const n = ctx.config.quick ? 20 : 100;
    // Warm-up builds the 10 warm `link` containers (a waiting parent keeps its container).
    await timeSequential(ctx.config.quick ? 3 : 10, () => ctx.http.invokeAndWait("chain10", null));
    const chainLat = await timeSequential(n, async () => {
      const out = await ctx.http.invokeAndWait("chain10", null);
      if (out.trim() !== "10") throw new Error(`chain10 returned ${out}`);
    });
    const base = await trivialLatencies(ctx, n);
    const chainP50 = quantile(chainLat, 0.5);
    const perCall = (chainP50 - quantile(base, 0.5)) / 10;
    const note = `n=${n}; (p50 chain10 − p50 trivial) / 10`;
    return [
      ctx.row({
        workload: "chain of 10 nested calls",
        figure: "p50 total",
        value: chainP50,
        unit: "ms",
        shown: ms(chainP50),
        target: "",
        met: null,
        note: `n=${n}`,
      }),
      ctx.row({
        workload: "chain of 10 nested calls",
        figure: "p50 per call",
        value: perCall,
        unit: "ms",
        shown: ms(perCall),
        target: "≤ 0.5 ms",
        met: perCall <= 0.5,
        note,
      }),
    ];
  },
};
