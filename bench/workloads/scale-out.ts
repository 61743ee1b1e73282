/**
 * Two servers against one: on a shared (PostgreSQL) store, the throughput of 32 closed-loop clients
 * on one server, then with a second server (a `dev` process: its own server and executor) started on
 * the same database and the clients split evenly between the two. Issue 12's target: two servers
 * reach ≥ 1.6× one server's throughput. Both figures come from the same run, so the ratio holds
 * whatever the machine's speed; on a machine with few cores the second server competes with the
 * first (and with PostgreSQL) for the same CPUs. So each phase also reports how busy the machine's
 * cores were and its requests per busy core-second: when one server already keeps every core busy,
 * a second cannot add throughput, and equal requests per core-second say that the second server
 * costs nothing extra per request (its throughput would scale with cores that this machine lacks).
 */
import { availableParallelism, cpus } from "node:os";
import { join } from "node:path";
import { startBenchCluster } from "../cluster.js";
import { BenchHttp } from "../http.js";
import { machineCpu } from "../machine-cpu.js";
import { closedLoop, ms, pct, perSec, quantile } from "../stats.js";
import type { Row } from "../results.js";
import type { Workload } from "./context.js";

const CLIENTS = 32;
const TARGET_RATIO = 1.6;

export const scaleOut: Workload = {
  name: "scaleout",
  sharedStoreOnly: true,
  async run(ctx) {
    const seconds = ctx.config.quick ? 3 : 10;
    const one = await measure([ctx.http], seconds);
    const second = await startBenchCluster({
      dir: join(ctx.config.workDir, `${ctx.backend}-second`),
      store: ctx.store,
      cpu: ctx.config.cpu,
    });
    const http2 = new BenchHttp(second.url);
    let two: Measured;
    try {
      two = await measure([ctx.http, http2], seconds);
    } finally {
      http2.close();
      await second.stop();
    }
    const ratio = two.rate / one.rate;
    const note = `${CLIENTS} clients, ${seconds} s each, client path ?wait=; one server ${one.done} ok / ${one.errors} errors, two servers ${two.done} ok / ${two.errors} errors; ${availableParallelism()} CPUs shared by both servers, their executors and the database`;
    const row = (
      figure: string,
      value: number,
      unit: Row["unit"],
      shown: string,
      target = "",
      met: boolean | null = null,
    ): Row => ctx.row({ workload: "scale-out, 32 clients (?wait=)", figure, value, unit, shown, target, met, note });
    return [
      row("one server requests/s", one.rate, "per_s", perSec(one.rate)),
      row("two servers requests/s", two.rate, "per_s", perSec(two.rate)),
      row("two ÷ one", ratio, "ratio", `${ratio.toFixed(2)}×`, `≥ ${TARGET_RATIO}×`, ratio >= TARGET_RATIO),
      row("machine CPU busy, one server", one.busy, "ratio", pct(one.busy)),
      row("machine CPU busy, two servers", two.busy, "ratio", pct(two.busy)),
      row("requests per busy core-second, one server", one.perCoreSecond, "per_s", perSec(one.perCoreSecond)),
      row("requests per busy core-second, two servers", two.perCoreSecond, "per_s", perSec(two.perCoreSecond)),
      row(
        "two servers p50 / p99",
        quantile(two.latencies, 0.5),
        "ms",
        `${ms(quantile(two.latencies, 0.5))} / ${ms(quantile(two.latencies, 0.99))}`,
      ),
    ];
  },
};

interface Measured {
  rate: number;
  done: number;
  errors: number;
  latencies: number[];
  /** Busy fraction of all the machine's cores during the measurement. */
  busy: number;
  /** Requests per second of busy core time (machine-wide). */
  perCoreSecond: number;
}

/** Closed-loop clients spread round-robin over `servers`, after a warm-up at full concurrency. */
async function measure(servers: BenchHttp[], seconds: number): Promise<Measured> {
  let next = 0;
  // Round-robin per request: the 32 requests in flight stay evenly spread over the servers.
  const once = (): Promise<string> => servers[next++ % servers.length]!.invokeAndWait("trivial", null);
  await closedLoop(CLIENTS, 1000, once);
  const cpu = machineCpu();
  const r = await closedLoop(CLIENTS, seconds * 1000, once);
  const busy = cpu.stop();
  const rate = (r.done / r.elapsedMs) * 1000;
  // /proc/stat's busy share is of every CPU of the machine, whatever this process's affinity.
  const perCoreSecond = rate / (busy * cpus().length);
  return { rate, done: r.done, errors: r.errors, latencies: r.latencies, busy, perCoreSecond };
}
