/**
 * Invoke latency with many finished requests in the store: trivial p50 on a fresh store, then the
 * same after filling the stopped server's SQLite file with `BENCH_FILL` finished requests and
 * restarting it. Uses its own system (not the shared one) so the "empty" figure really is empty.
 */
import { closeSync, fsyncSync, openSync } from "node:fs";
import { join } from "node:path";
import { fillFinishedRequests } from "../fill.js";
import { ms, quantile, pct } from "../stats.js";
import { startSystem, type BenchSystem } from "../system.js";
import type { Workload, WorkloadContext } from "./context.js";
import { trivialLatencies } from "./latency.js";

async function measure(ctx: WorkloadContext, sys: BenchSystem, n: number): Promise<number> {
  const sub: WorkloadContext = { ...ctx, cluster: sys.cluster, http: sys.http };
  return quantile(await trivialLatencies(sub, n), 0.5);
}

export const storeSize: Workload = {
  name: "store_1m",
  sqliteOnly: true,
  async run(ctx) {
    const dir = join(ctx.config.workDir, "store-size");
    const dbPath = join(dir, "db.sqlite");
    const n = ctx.config.quick ? 100 : 300;
    const fill = ctx.config.fill;
    let sys = await startSystem({ dir, store: `sqlite:${dbPath}`, cpu: ctx.config.cpu });
    let empty: number;
    try {
      await sys.deploy(join(ctx.config.sourceDir, "apps.ts"));
      empty = await measure(ctx, sys, n);
    } finally {
      await sys.stop();
    }
    ctx.log(`store_1m: filling ${fill} finished requests …`);
    let last = 0;
    const f = fillFinishedRequests(dbPath, fill, (done) => {
      if (done - last >= 100_000 || done === fill) {
        last = done;
        ctx.log(`  ${done} rows`);
      }
    });
    // The fill leaves ~1.7 GiB of dirty page cache; the kernel's writeback of it would compete with
    // the filled store's WAL writes and checkpoints during the measurement. A store that grew to
    // this size over months has no such backlog, so flush it first.
    const fd = openSync(dbPath, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    ctx.log(
      `store_1m: filled ${f.inserted} in ${f.seconds.toFixed(1)} s; database ${(f.dbBytes / 2 ** 30).toFixed(2)} GiB`,
    );
    sys = await startSystem({ dir, store: `sqlite:${dbPath}`, cpu: ctx.config.cpu });
    let full: number;
    try {
      full = await measure(ctx, sys, n);
    } finally {
      await sys.stop();
    }
    const ratio = full / empty - 1;
    const label = `invoke with ${fill.toLocaleString("en-US")} finished requests`;
    const note = `n=${n} each; fill ${f.seconds.toFixed(1)} s, DB ${(f.dbBytes / 2 ** 20).toFixed(0)} MB`;
    return [
      ctx.row({
        workload: label,
        figure: "p50 empty store",
        value: empty,
        unit: "ms",
        shown: ms(empty),
        target: "",
        met: null,
        note,
      }),
      ctx.row({
        workload: label,
        figure: "p50 filled store",
        value: full,
        unit: "ms",
        shown: `${ms(full)} (${ratio >= 0 ? "+" : ""}${pct(ratio)})`,
        target: "within 20 % of empty",
        met: fill >= 1_000_000 ? ratio <= 0.2 : null,
        note,
      }),
      ctx.row({
        workload: label,
        figure: "fill time",
        value: f.seconds,
        unit: "s",
        shown: `${f.seconds.toFixed(1)} s`,
        target: "",
        met: null,
        note: `${f.inserted} requests (+ call, attempt, events each)`,
      }),
    ];
  },
};
