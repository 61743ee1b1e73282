/**
 * A real server and executor on loopback for tests: the server and executor run in this process,
 * every container is a real child process (the process backend unless `executor.backend` says
 * otherwise). `stop()` ends everything it started.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type RunningServer, type ServerOptions } from "../../src/server/index.js";
import { createExecutor, type ExecutorOptions, type RunningExecutor } from "../../src/executor/index.js";
import { TributaryClient } from "../../src/client/index.js";
import { deploy } from "../../src/client/deploy.js";

export interface Cluster {
  server: RunningServer;
  executors: RunningExecutor[];
  client: TributaryClient;
  dir: string;
  deploy(entry: string): Promise<void>;
  addExecutor(o?: Partial<ExecutorOptions>): Promise<RunningExecutor>;
  stop(): Promise<void>;
}

export async function startCluster(
  o: { server?: Partial<ServerOptions>; executor?: Partial<ExecutorOptions> | null } = {},
): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), "tributary-cluster-"));
  const server = await createServer({
    port: 0,
    store: `sqlite:${join(dir, "db.sqlite")}`,
    blobs: join(dir, "blobs"),
    unsatisfiableGraceMs: 0,
    ...o.server,
  });
  const client = new TributaryClient({ server: server.url });
  const executors: RunningExecutor[] = [];
  const cluster: Cluster = {
    server,
    executors,
    client,
    dir,
    async deploy(entry) {
      await deploy(entry, client);
    },
    async addExecutor(eo = {}) {
      // A server with keys admits executors presenting its executor token, or else an admin key.
      const token = o.server?.executorToken ?? o.server?.apiKeys?.[0];
      // The process backend unless a test asks for another: most test apps count side effects in
      // host files, which a sandboxed container cannot see.
      const ex = await createExecutor({
        servers: [server.url],
        dataDir: join(dir, `ex-${executors.length}`),
        cpu: 8,
        region: "*",
        token,
        backend: "process",
        ...eo,
      });
      executors.push(ex);
      return ex;
    },
    async stop() {
      await Promise.all(executors.map((e) => e.stop()));
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (o.executor !== null) await cluster.addExecutor(o.executor ?? {});
  return cluster;
}

/** The TypeScript source of a compiled test file's sibling (tests run from dist/). */
export function sourceOf(compiledUrl: string, relative: string): string {
  return new URL(relative, compiledUrl).pathname.replace("/dist/", "/");
}
