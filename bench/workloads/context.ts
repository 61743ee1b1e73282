/** What every workload receives from the driver. */
import type { BenchCluster } from "../cluster.js";
import type { BenchHttp } from "../http.js";
import type { Row } from "../results.js";

export interface BenchConfig {
  quick: boolean;
  /** Finished requests to put in the store for the `store_1m` workload. */
  fill: number;
  /** CPUs the executor declares. */
  cpu: number;
  /** Absolute path of the bench sources (bench/*.ts), for deploys. */
  sourceDir: string;
  /** Scratch directory of this run. */
  workDir: string;
}

export interface WorkloadContext {
  backend: string;
  /** The store URL of the shared cluster. */
  store: string;
  cluster: BenchCluster;
  http: BenchHttp;
  config: BenchConfig;
  /** Deploys an entry (a .ts file under bench/) to the cluster. */
  deploy(file: string): Promise<void>;
  /** A partial row: backend filled in. */
  row(r: Omit<Row, "backend">): Row;
  log(msg: string): void;
}

export interface Workload {
  name: string;
  /** True when the workload needs a SQLite store (it writes the file directly). */
  sqliteOnly?: boolean;
  /** True when the workload needs a store several servers can share (PostgreSQL). */
  sharedStoreOnly?: boolean;
  run(ctx: WorkloadContext): Promise<Row[]>;
}
