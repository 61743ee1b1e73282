/**
 * `npm run chaos -- --cluster`: the system under test as a cluster (DESIGN.md §3 Scale-out) instead
 * of one server: N `tributary server` processes on one fresh PostgreSQL schema, each started from
 * its own working directory (nothing shared but the database), and executors that list every
 * server (each in a different order) and fail over along the list.
 *
 * It is a `Deployment` for the monkey: `server` is the next victim (servers are killed in turn) and
 * `startServer()` restarts it on its port and moves on to the next.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startTributary, stopAll, waitFor, type Deployment, type Proc } from "../harness/processes.js";
import { schemaFactory, TEST_POSTGRES_URL } from "../../test/helpers/postgres-database.js";

export interface ClusterDeployment extends Deployment {
  urls: string[];
  /** A server URL, a different one at each call (clients spread over the cluster). */
  pick(): string;
}

export async function clusterDeployment(n: number, env: Record<string, string>): Promise<ClusterDeployment> {
  const dir = mkdtempSync(join(tmpdir(), "tributary-chaos-cluster-"));
  const schemas = schemaFactory();
  const store = `${TEST_POSTGRES_URL}?schema=${schemas.next()}`;
  const ports = await Promise.all(Array.from({ length: n }, () => freePort()));
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  const servers: Array<Proc | null> = urls.map(() => null);
  let victim = 0;
  let picked = 0;
  let executors = 0;

  async function start(i: number): Promise<Proc> {
    const cwd = join(dir, `server-${i}`);
    mkdirSync(cwd, { recursive: true });
    const p = startTributary(["server", "--port", String(ports[i]), "--store", store], env, cwd);
    servers[i] = p;
    await waitFor(`server on ${urls[i]}`, async () => {
      if (p.child.exitCode !== null) throw new Error(`server exited: ${p.output()}`);
      try {
        return (await fetch(`${urls[i]}/healthz`)).ok;
      } catch {
        return false;
      }
    });
    return p;
  }

  // The first applies the migrations; the others start together.
  await start(0);
  await Promise.all(urls.slice(1).map((_, i) => start(i + 1)));

  const d: ClusterDeployment = {
    dir,
    port: ports[0]!,
    url: urls[0]!,
    urls,
    pick: () => urls[picked++ % urls.length]!,
    get server() {
      return servers[victim] ?? null;
    },
    set server(_p: Proc | null) {
      /* the monkey only reads it */
    },
    async startServer() {
      const p = await start(victim);
      victim = (victim + 1) % n;
      return p;
    },
    async startExecutor(extra = [], dataName) {
      const first = executors++ % n;
      const list = [...urls.slice(first), ...urls.slice(0, first)].join(",");
      const cwd = join(dir, dataName ?? `executor-${executors}`);
      mkdirSync(cwd, { recursive: true });
      const backend = extra.includes("--backend") ? [] : ["--backend", "process"];
      return startTributary(
        ["executor", "--server", list, "--data", join(cwd, "data"), "--cpu", "8", ...backend, ...extra],
        env,
        cwd,
      );
    },
    async cleanup() {
      await stopAll();
      await schemas.dropAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return d;
}
