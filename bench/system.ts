/**
 * The system under test as the driver sees it: the forked processes, a keep-alive HTTP client and
 * deploys (bundled here, in the driver, so esbuild's CPU never counts as the server's).
 */
import { TributaryClient } from "../src/client/index.js";
import { deploy } from "../src/client/deploy.js";
import { startBenchCluster, type BenchCluster } from "./cluster.js";
import { BenchHttp } from "./http.js";

export interface BenchSystem {
  cluster: BenchCluster;
  http: BenchHttp;
  deploy(entry: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startSystem(o: {
  dir: string;
  store: string;
  cpu: number;
  serverProfileDir?: string | null;
  executorProfileDir?: string | null;
}): Promise<BenchSystem> {
  const topology = process.env.BENCH_TOPOLOGY === "split" ? "split" : "dev";
  const cluster = await startBenchCluster({ ...o, topology });
  const http = new BenchHttp(cluster.url);
  const client = new TributaryClient({ server: cluster.url, apiKey: "" });
  return {
    cluster,
    http,
    async deploy(entry) {
      await deploy(entry, client);
    },
    async stop() {
      http.close();
      await cluster.stop();
    },
  };
}
