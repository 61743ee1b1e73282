/**
 * The three workloads run on both systems, the same way: a trivial request (sequential, n=300
 * after warm-up), a chain of 10 nested durable calls (per-call cost = (p50 chain − p50 trivial)/10),
 * and 32 closed-loop clients for 10 s.
 */
import { closedLoop, quantile, timeSequential, warmUp, warmUpMs } from "../stats.js";

export interface Target {
  trivial(): Promise<unknown>;
  chain10(): Promise<unknown>;
}

export interface Figures {
  trivialP50: number;
  trivialP99: number;
  chainP50: number;
  perCall: number;
  throughput: number;
  throughputErrors: number;
  loadP50: number;
}

export async function measure(t: Target, quick: boolean, log: (m: string) => void): Promise<Figures> {
  const n = quick ? 100 : 300;
  await warmUp(warmUpMs(quick), () => t.trivial());
  const triv = await timeSequential(n, () => t.trivial());
  log(`  trivial p50 ${quantile(triv, 0.5).toFixed(2)} ms`);
  await warmUp(warmUpMs(quick), () => t.chain10());
  const chain = await timeSequential(quick ? 20 : 100, () => t.chain10());
  log(`  chain10 p50 ${quantile(chain, 0.5).toFixed(2)} ms`);
  await closedLoop(32, 1000, () => t.trivial());
  const load = await closedLoop(32, quick ? 3000 : 10_000, () => t.trivial());
  const rate = (load.done / load.elapsedMs) * 1000;
  log(`  32 clients ${rate.toFixed(0)}/s (${load.errors} errors)`);
  return {
    trivialP50: quantile(triv, 0.5),
    trivialP99: quantile(triv, 0.99),
    chainP50: quantile(chain, 0.5),
    perCall: (quantile(chain, 0.5) - quantile(triv, 0.5)) / 10,
    throughput: rate,
    throughputErrors: load.errors,
    loadP50: quantile(load.latencies, 0.5),
  };
}
