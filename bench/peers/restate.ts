/**
 * Starts Restate on loopback: restate-server on free ports with a temporary base directory, the
 * bench service (bench/peers/restate-service.mjs) under Node 24, and registers the service's
 * deployment with the admin API. The processes are killed by procs.killAll().
 */
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BenchHttp } from "../http.js";
import type { PeerPaths } from "./install.js";
import { freePort, startGroup, until, waitForLine } from "./procs.js";

const SERVICE_SRC = fileURLToPath(new URL("../../../bench/peers/restate-service.mjs", import.meta.url));

export interface RestateRig {
  ingress: BenchHttp;
  serverPid: number;
  version: string;
  /** Restate's temporary data directory (remove it once the server is dead). */
  baseDir: string;
}

export async function startRestate(p: PeerPaths, log: (m: string) => void): Promise<RestateRig> {
  const [ingressPort, adminPort, fabricPort] = [await freePort(), await freePort(), await freePort()];
  const baseDir = mkdtempSync(join(tmpdir(), "restate-bench-"));
  const server = startGroup(p.restateServer, ["--no-logo", "--listen-mode", "tcp", "--base-dir", baseDir], {
    stdio: ["ignore", "ignore", "pipe"],
    env: {
      ...process.env,
      RESTATE_INGRESS__BIND_ADDRESS: `127.0.0.1:${ingressPort}`,
      RESTATE_ADMIN__BIND_ADDRESS: `127.0.0.1:${adminPort}`,
      RESTATE_BIND_ADDRESS: `127.0.0.1:${fabricPort}`,
      RESTATE_ADVERTISED_ADDRESS: `http://127.0.0.1:${fabricPort}/`,
      RESTATE_DISABLE_TELEMETRY: "true",
      RESTATE_LOG_FILTER: "warn",
    },
  });
  server.stderr?.resume();
  const ingress = new BenchHttp(`http://127.0.0.1:${ingressPort}`);
  const admin = new BenchHttp(`http://127.0.0.1:${adminPort}`);
  await until("restate ingress", 60_000, async () => (await ingress.request("GET", "/restate/health")).status === 200);
  await until("restate admin", 60_000, async () => (await admin.request("GET", "/health")).status === 200);
  const version = String((JSON.parse((await admin.request("GET", "/version")).body) as { version?: string }).version);
  log(`restate-server up (ingress ${ingressPort}, admin ${adminPort}, data ${baseDir}) ${version}`);

  // The service runs from inside .peers so `@restatedev/restate-sdk` resolves to the peers' copy.
  const servicePath = join(p.dir, "restate-service.mjs");
  copyFileSync(SERVICE_SRC, servicePath);
  const service = startGroup(p.node24, [servicePath], {
    cwd: p.dir,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PORT: "0" },
  });
  const m = await waitForLine(service, /listening on (\d+)/, 30_000);
  service.stdout?.resume();
  service.stderr?.resume();
  const servicePort = Number(m[1]);
  const reg = await admin.request(
    "POST",
    "/deployments",
    JSON.stringify({ uri: `http://127.0.0.1:${servicePort}`, force: true }),
  );
  if (reg.status >= 300) throw new Error(`registering the service failed: HTTP ${reg.status} ${reg.body}`);
  log(
    `restate service on ${servicePort} registered (Node ${(await import("node:child_process")).execFileSync(p.node24, ["--version"]).toString().trim()})`,
  );
  // Registration propagates asynchronously to the ingress: wait until a call succeeds.
  await until(
    "restate service routable",
    30_000,
    async () => (await ingress.request("POST", "/Bench/trivial", "null")).status === 200,
  );
  admin.close();
  return { ingress, serverPid: server.pid!, version, baseDir };
}
