/** Progress-update throughput from one function: n awaited `ctx.progress.update` calls in a row. */
import { ms, perSec } from "../stats.js";
import type { Workload } from "./context.js";

export const progress: Workload = {
  name: "progress",
  async run(ctx) {
    const n = ctx.config.quick ? 2000 : 20_000;
    await ctx.http.invokeAndWait("progress_spam", 100);
    const t0 = performance.now();
    const inside = Number(await ctx.http.invokeAndWait("progress_spam", n, 300_000));
    const wall = performance.now() - t0;
    const rate = (n / inside) * 1000;
    const note = `n=${n} awaited updates; ${ms(inside)} inside the function, ${ms(wall)} invoke→output`;
    return [
      ctx.row({
        workload: "progress updates, one function",
        figure: "updates/s (in function)",
        value: rate,
        unit: "per_s",
        shown: perSec(rate),
        target: "",
        met: null,
        note,
      }),
      ctx.row({
        workload: "progress updates, one function",
        figure: "updates/s (invoke→output)",
        value: (n / wall) * 1000,
        unit: "per_s",
        shown: perSec((n / wall) * 1000),
        target: "",
        met: null,
        note,
      }),
    ];
  },
};
