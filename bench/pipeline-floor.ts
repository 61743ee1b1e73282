/**
 * The floor of the architecture (issue 15's "what is physically possible"): a trivial request's
 * least work in a durable, process-per-run system (bench/pipeline-floor-server.ts), measured with
 * the same client, warm-up and closed loop as Tributary's own workloads. Tributary's figures beside
 * these say how much of its time is its own code rather than the hops and commits it must make.
 */
import { fork } from "node:child_process";
import { BenchHttp } from "./http.js";
import { closedLoop, quantile, timeSequential, warmUp, warmUpMs } from "./stats.js";
import type { Row } from "./results.js";

/** Sequential p50 and 32-client throughput of the floor pipeline (backend "machine"). */
export async function pipelineFloor(quick: boolean): Promise<Row[]> {
  const proc = fork(new URL("./pipeline-floor-server.js", import.meta.url), [], {
    execArgv: [],
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    proc.once("message", (p) => resolve(p as number));
    proc.once("exit", (c) => reject(new Error(`floor pipeline exited with ${c}`)));
  });
  const http = new BenchHttp(`http://127.0.0.1:${port}`);
  try {
    const once = (): Promise<unknown> => http.request("POST", "/", '"hi"');
    await warmUp(warmUpMs(quick), once);
    const seq = await timeSequential(quick ? 300 : 2_000, once);
    const loop = await closedLoop(32, quick ? 3_000 : 8_000, once);
    const row = (figure: string, value: number, unit: Row["unit"], shown: string): Row => ({
      backend: "machine",
      workload: "floor pipeline (no Tributary code)",
      figure,
      value,
      unit,
      shown,
      target: "",
      met: null,
      note: "HTTP → SQLite commit → IPC to a child process → SQLite commit → HTTP answer",
    });
    const p50 = quantile(seq, 0.5);
    const rate = (loop.done / loop.elapsedMs) * 1000;
    return [
      row("trivial request p50 (sequential)", p50, "ms", `${p50.toFixed(3)} ms`),
      row("throughput, 32 clients", rate, "per_s", `${rate.toFixed(0)}/s`),
    ];
  } finally {
    http.close();
    proc.kill("SIGTERM");
  }
}
