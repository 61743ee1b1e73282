/** `f.map` over 10,000 trivial items: wall time (invoke → output) and the server's peak RSS. */
import { resetPeakRss, rssOf } from "../cluster.js";
import { mb, ms } from "../stats.js";
import type { Workload } from "./context.js";

export const map: Workload = {
  name: "map",
  async run(ctx) {
    const n = ctx.config.quick ? 1000 : 10_000;
    const pid = ctx.cluster.serverPid;
    // Warm-up: a small map brings up the `double` containers.
    await ctx.http.invokeAndWait("map_items", 200);
    const rssBefore = rssOf(pid);
    const hwmReset = resetPeakRss(pid);
    // Sampled as well as VmHWM: the sample works where clear_refs is refused.
    let sampled = rssBefore;
    const sampler = setInterval(() => (sampled = Math.max(sampled, rssOf(pid))), 20);
    const t0 = performance.now();
    let out: string;
    try {
      out = await ctx.http.invokeAndWait("map_items", n, 300_000);
    } finally {
      clearInterval(sampler);
    }
    const wall = performance.now() - t0;
    if (out.trim() !== String(n)) throw new Error(`map_items returned ${out}`);
    const peak = hwmReset ? Math.max(sampled, rssOf(pid, "VmHWM")) : sampled;
    const note = `n=${n}; RSS before ${mb(rssBefore)}; peak from ${hwmReset ? "VmHWM (reset before) and 20 ms samples" : "20 ms samples"}`;
    return [
      ctx.row({
        workload: `map over ${n} items`,
        figure: "wall time",
        value: wall,
        unit: "ms",
        shown: ms(wall),
        target: "≤ 2 s",
        met: n >= 10_000 ? wall <= 2000 : null,
        note,
      }),
      ctx.row({
        workload: `map over ${n} items`,
        figure: "peak server RSS",
        value: peak,
        unit: "bytes",
        shown: mb(peak),
        target: "≤ 300 MB",
        met: n >= 10_000 ? peak <= 300 * 2 ** 20 : null,
        note,
      }),
    ];
  },
};
