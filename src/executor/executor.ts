/**
 * The executor: one per machine. Leases attempts from a server, runs each in a container from its
 * pool, owns the attempt's timeout, relays child calls, state, progress, metrics and logs, and
 * reports the result.
 *
 * This file builds the executor's parts and routes the server's messages to them, along the way of
 * an attempt: attempt-lifecycle.ts (assigned → starting → running → finished, its timer, its stop),
 * acquire.ts (a container for it), container-relay.ts (what its container says, and the replies to
 * its calls), results.ts (its end, reported once), runs.ts (several items on one container).
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rmSync } from "node:fs";
import { systemClock } from "../core/clock.js";
import { plainError } from "../core/errors.js";
import type {
  ExecutorRpc,
  ExecutorTransport,
  FromExecutor,
  ToExecutor,
  TransportHandlers,
} from "../core/wire/executor.js";
import { Acquirer } from "./acquire.js";
import { AttemptLifecycle } from "./attempt-lifecycle.js";
import { BundleCache } from "./bundles.js";
import { BuildContexts } from "./build-contexts.js";
import { ContainerRelay } from "./container-relay.js";
import { InputSpool } from "./inputs.js";
import { ServerConnection } from "./connection.js";
import { Outbox } from "./outbox.js";
import { rememberServer, stableId, stickyOrder } from "./identity.js";
import { ContainerPool } from "./pool.js";
import { Results } from "./results.js";
import { createExecutorImages } from "./images/executor-images.js";
import { ContainerLimits } from "./limits/container-limits.js";
import { chooseBackend } from "./backends/choose.js";
import { BACKEND_LABEL } from "./backends/kinds.js";
import { chooseEnforcement, ENFORCEMENT_LABEL } from "./limits/enforcement.js";
import { resolveUnits } from "./limits/units.js";
import { defaultCapacity, type ExecutorOptions, type RunningExecutor } from "./options.js";
import type { AttemptRun } from "./attempt-run.js";
import { notStartedError, Runs } from "./runs.js";

export { defaultCapacity, type ExecutorOptions, type RunningExecutor } from "./options.js";

/**
 * Default of `ExecutorOptions.runItems` (`TRIBUTARY_RUN_ITEMS` overrides it; 0 turns runs off): the
 * most items of one run. The server's own cap (`maxRunItems`) and its spread over the executor's
 * slots (engine/runs.ts) size each run.
 */
const RUN_ITEMS = 64;

export async function createExecutor(o: ExecutorOptions): Promise<RunningExecutor> {
  const id = o.id ?? stableId(o.dataDir);
  const clock = o.clock ?? systemClock;
  const grace = o.killGraceMs ?? 300;
  const capacity = defaultCapacity(o);
  const attempts = new Map<string, AttemptRun>();
  const rpcs = new Map<string, ExecutorRpc>();
  const outbox = new Outbox(o.dataDir);
  const results = new Results(outbox, {
    attempts,
    rpcs,
    send,
    discard: (attemptId) => spool.discard(attemptId),
    abandon: (q, why) => runs.abandon(q, why),
    release: (c) => pool.release(c),
  });
  const pool = new ContainerPool({ idleMs: o.containerIdleMs ?? 120_000 });
  const limits = new ContainerLimits({ units: resolveUnits(o), enforcement: chooseEnforcement(o.cgroupRoot) });
  // Unix socket paths are limited to ~107 bytes: keep them short, under the OS temp dir.
  const socketDir = join(tmpdir(), `tributary-sock-${id}`);
  const { backend, launcher, oci, sandbox } = await chooseBackend({
    ...o,
    socketDir,
    cpuLimitedByCgroup: limits.labels()[ENFORCEMENT_LABEL] === "cgroup",
    log: o.log ?? ((l) => process.stderr.write(`${l}\n`)),
  });
  const servers = stickyOrder(o.dataDir, o.servers);
  let currentServer = servers[0]!;
  /** Whether a server has welcomed this executor yet (`onServing` is called once). */
  let served = false;
  const bundles = new BundleCache(o.dataDir, () => currentServer, o.token);
  const images = await createExecutorImages({
    images: o.images,
    dataDir: o.dataDir,
    backend,
    oci,
    sandbox,
    contexts: new BuildContexts(o.dataDir, () => currentServer, o.token),
  });
  const spool = new InputSpool(o.dataDir, () => currentServer, o.token);

  const handlers: TransportHandlers = {
    hello: () => ({
      t: "hello",
      executorId: id,
      region: o.region ?? "us-east-1",
      labels: { ...limits.labels(), [BACKEND_LABEL]: backend, ...(o.labels ?? {}) },
      capacity,
      images: images.advertised,
      running: [...attempts.keys(), ...results.unacked.keys()],
      runItems: o.runItems ?? Number(process.env.TRIBUTARY_RUN_ITEMS ?? RUN_ITEMS),
    }),
    resend: () => [...rpcs.values(), ...results.unacked.values()],
    onMessage: (m) => onServerMessage(m),
    onState: (connected, server) => {
      if (!connected) return;
      currentServer = server;
      rememberServer(o.dataDir, server);
    },
    onRefused: (reason) => o.onRefused?.(reason),
  };
  const conn: ExecutorTransport = o.transport
    ? o.transport(handlers)
    : new ServerConnection({ ...handlers, servers, token: o.token, tokenSource: o.tokenSource, log: o.log });

  function send(m: FromExecutor): void {
    conn.send(m);
  }

  const runs: Runs = new Runs({
    attempts,
    acquire: (run) => acquirer.acquire(run),
    arm: (r, c) => lifecycle.arm(r, c, true),
    giveBack: (r, why) =>
      results.finish(r, {
        t: "done",
        attemptId: r.a.attemptId,
        ok: false,
        reason: "internal_error",
        error: notStartedError(r, why),
        notStarted: true,
      }),
    release: (c) => pool.release(c),
    handOver: (c) => relay.handOver(c),
    runMessage: (a, c) => lifecycle.runMessage(a, null, c),
  });
  const relay: ContainerRelay = new ContainerRelay({
    attempts,
    rpcs,
    runs,
    results,
    pool,
    limits,
    backend,
    clock,
    send,
    echoLogs: o.echoLogs,
  });
  const acquirer: Acquirer = new Acquirer({
    dataDir: o.dataDir,
    spool,
    bundles,
    images,
    pool,
    limits,
    backend,
    launcher,
    onMessage: (c, m) => relay.onMessage(c, m),
    onLog: (c, stream, line) => relay.onLog(c, stream, line),
    onExit: (c, code, signal) => relay.onExit(c, code, signal),
    fail: (run, reason, error) => results.fail(run, reason, error),
  });
  const lifecycle: AttemptLifecycle = new AttemptLifecycle({
    attempts,
    clock,
    graceMs: grace,
    acquirer,
    runs,
    results,
    pool,
    limits,
    spool,
    send,
    handOver: (c) => relay.handOver(c),
  });

  function onServerMessage(m: ToExecutor): void {
    switch (m.t) {
      case "assign":
        void lifecycle.assign(m.assignment);
        break;
      case "assign-run":
        void runs.assign(m.assignments);
        break;
      case "reply":
        relay.onReply(m);
        break;
      case "cancel": {
        const run = attempts.get(m.attemptId);
        if (run)
          lifecycle.stop(run, "cancelled", "cancelled", plainError("CancelledError", "the request was cancelled"));
        break;
      }
      case "ack":
        results.ack(m.attemptId);
        break;
      case "resend":
        // A server took over attempts it did not know at our hello: their RPCs and results again.
        for (const r of handlers.resend()) send(r);
        break;
      case "welcome":
        for (const attemptId of m.kill) lifecycle.drop(attemptId);
        if (!served) {
          served = true;
          o.onServing?.(currentServer);
        }
        break;
    }
  }

  conn.start();
  return {
    id,
    backend,
    stats: () => ({ ...pool.stats, running: attempts.size }),
    imageBuilds: () => images.builds(),
    dropConnection: () => conn.drop?.(),
    containers: () => pool.list(),
    async stop() {
      await conn.close();
      await pool.shutdown();
      outbox.close();
      rmSync(socketDir, { recursive: true, force: true });
    },
  };
}
