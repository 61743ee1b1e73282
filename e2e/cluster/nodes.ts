// Real `tributary server` and `executor` processes on one PostgreSQL schema, for the cluster
// suites: each server from its own working directory, blobs in the database (nothing else shared).
import { after, before, describe } from "node:test";
import { mkdtempSync, rmSync } from "node:fs";
import postgres from "postgres";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TributaryClient } from "../../src/client/index.js";
import { deploy } from "../../src/client/deploy.js";
import { remoteRequest } from "../../src/client/run-remote.js";
import { freePort, startTributary, stopAll, waitFor, type Proc } from "../harness/processes.js";
import { schemaFactory, TEST_POSTGRES_URL, unreachableReason } from "../../test/helpers/postgres-database.js";

const source = (path: string): string => new URL(path, import.meta.url).pathname.replace("/dist/", "/");
export const APPS = source("../faults/apps.ts");
export const CLUSTER_APPS = source("./apps.ts");
export const LEASE_MS = 2_000;
export const ENV = {
  TRIBUTARY_EXECUTOR_GRACE_MS: "3000",
  TRIBUTARY_LEASE_MS: String(LEASE_MS),
  TRIBUTARY_SERVER_SILENCE_MS: "2000",
};

export interface Node {
  url: string;
  proc: Proc;
  client: TributaryClient;
}

export const json = (v: unknown) => ({
  bytes: new TextEncoder().encode(JSON.stringify(v)),
  contentType: "application/json",
});

/** One suite's processes, schemas and scratch directories. */
export function clusterNodes() {
  const schemas = schemaFactory();
  let root = "";
  let store = "";
  /** The current cluster's settings over ENV (`cluster(n, env)`), for its servers and executors. */
  let env: Record<string, string> = ENV;

  const nodes = {
    /** The PostgreSQL schema of the current cluster (for tests that read the database). */
    get schema(): string {
      return new URL(store).searchParams.get("schema")!;
    },
    setUp(): void {
      root = mkdtempSync(join(tmpdir(), "tributary-cluster-"));
    },
    async tearDown(): Promise<void> {
      await stopAll();
      await schemas.dropAll();
      rmSync(root, { recursive: true, force: true });
    },

    /**
     * A fresh schema and `n` servers with the suites' applications (earlier processes stopped
     * first); `settings` override ENV for this cluster's servers and executors; `database`: the URL
     * the servers reach the test database at (a proxy in front of it, to cut it off).
     */
    async cluster(n: number, settings: Record<string, string> = {}, database = TEST_POSTGRES_URL): Promise<Node[]> {
      await stopAll();
      env = { ...ENV, ...settings };
      store = `${database}?schema=${schemas.next()}`;
      const out: Node[] = [];
      // One first, so migrations are not what a test measures; the rest start together.
      out.push(await nodes.startServer());
      out.push(...(await Promise.all(Array.from({ length: n - 1 }, () => nodes.startServer()))));
      await deploy(APPS, out[0]!.client);
      await deploy(CLUSTER_APPS, out[0]!.client);
      return out;
    },

    /** Two servers, each with one executor of its own (`flagsA`/`flagsB`: its extra flags), connected. */
    async twoWithExecutors(flagsA: string[] = [], flagsB: string[] = []): Promise<[Node, Node]> {
      const [a, b] = await nodes.cluster(2);
      nodes.startExecutor([a!], flagsA);
      nodes.startExecutor([b!], flagsB);
      await nodes.executorOn(a!);
      await nodes.executorOn(b!);
      return [a!, b!];
    },

    async startServer(): Promise<Node> {
      const port = await freePort();
      const cwd = mkdtempSync(join(root, "server-"));
      const url = `http://127.0.0.1:${port}`;
      const proc = startTributary(["server", "--port", String(port), "--store", store], env, cwd);
      await waitFor(`server on ${url}`, async () => {
        if (proc.child.exitCode !== null) throw new Error(`server exited: ${proc.output()}`);
        try {
          return (await fetch(`${url}/healthz`)).ok;
        } catch {
          return false;
        }
      });
      return { url, proc, client: new TributaryClient({ server: url }) };
    },

    /** An executor (process backend) serving `servers` in turn; `extra`: more flags (`--region`…). */
    startExecutor(servers: Node[], extra: string[] = []): Proc {
      const cwd = mkdtempSync(join(root, "executor-"));
      return startTributary(
        ["executor", "--server", servers.map((s) => s.url).join(","), "--cpu", "8", "--backend", "process", ...extra],
        env,
        cwd,
      );
    },

    /** Waits until `node` has `count` connected executors (its Prometheus gauge), at least one by default. */
    async executorOn(node: Node, count = 1): Promise<void> {
      await waitFor(`${count} executor(s) on ${node.url}`, async () => {
        const r = await fetch(`${node.url}/metrics`).catch(() => null);
        if (!r?.ok) return false;
        const m = /^tributary_connected_executors (\d+)$/m.exec(await r.text());
        return Number(m?.[1] ?? 0) >= count;
      });
    },

    /** Runs `f` on a short-lived connection to the database, with the cluster's schema. */
    async db<T>(f: (sql: postgres.Sql, schema: string) => Promise<T>): Promise<T> {
      const sql = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} });
      try {
        return await f(sql, nodes.schema);
      } finally {
        await sql.end({ timeout: 5 });
      }
    },

    /** A request's row version (`xmin` changes with every UPDATE: a claim, a release), owner and needs. */
    requestRow(id: string): Promise<{ xmin: string; owner: string | null; needs: string | null }> {
      return nodes.db(async (sql, schema) => {
        const [row] = await sql<{ xmin: string; owner: string | null; needs: string | null }[]>`
          SELECT xmin::text AS xmin, owner, needs FROM ${sql(schema)}.requests WHERE id = ${id}`;
        return row!;
      });
    },

    workDir(): string {
      return mkdtempSync(join(root, "work-"));
    },
  };
  return nodes;
}

export type ClusterNodes = ReturnType<typeof clusterNodes>;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A cluster suite: `describe(name)` with its own processes and schemas, set up and torn down around
 * it; skipped, with a notice, when PostgreSQL is not reachable.
 */
export async function clusterSuite(name: string, body: (nodes: ClusterNodes) => void): Promise<void> {
  const skip = await unreachableReason();
  if (skip) process.stdout.write(`# ${name}: skipped: ${skip}\n`);
  const nodes = clusterNodes();
  describe(name, { skip: skip ?? false }, () => {
    before(() => nodes.setUp());
    after(() => nodes.tearDown());
    body(nodes);
  });
}

/** How a request ended: its output when it succeeded, its attempts when it failed. */
export async function outcome(
  node: Node,
  app: string,
  id: string,
): Promise<{ status: string; output?: unknown; why?: unknown }> {
  const out = await remoteRequest(node.client, app, id).finished();
  if (out.status === "failed") {
    const detail = await node.client.getRequest(app, id);
    return { status: out.status, why: detail.function_calls.map((c) => c.attempts) };
  }
  if (out.status !== "succeeded") return { status: out.status };
  const bytes = await node.client.getOutput(app, id);
  return { status: out.status, output: JSON.parse(new TextDecoder().decode(bytes.bytes)) };
}
