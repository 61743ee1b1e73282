/**
 * The executor: one per machine. Leases attempts from a server, runs each in a container from its
 * pool, owns the attempt's timeout, relays child calls, state, progress, metrics and logs, and
 * reports the result.
 *
 * Attempt lifecycle on the executor: assigned → starting (container acquired, init) → running
 * (timer armed; paused while child calls are in flight) → finished (done sent exactly once).
 *
 * Runs (`assign-run`): several items share one container, one after another (runs.ts).
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rmSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { systemClock } from "../core/clock.js";
import { plainError, toPlainError, type PlainError } from "../core/errors.js";
import type { FailureReason } from "../core/status.js";
import { LOG_MARK, type FromContainer, type RunMessage } from "../core/wire/container.js";
import type {
  Assignment,
  ExecutorRpc,
  ExecutorTransport,
  FromExecutor,
  ToExecutor,
  TransportHandlers,
} from "../core/wire/executor.js";
import { AttemptTimer } from "../core/attempt-timer.js";
import { BundleCache } from "./bundles.js";
import { BuildContexts } from "./build-contexts.js";
import { containerInboxDir, containerTmpDir, type ContainerProcess } from "./container-process.js";
import { InputSpool } from "./inputs.js";
import { ServerConnection } from "./connection.js";
import { Outbox } from "./outbox.js";
import { rememberServer, stableId, stickyOrder } from "./identity.js";
import { ContainerPool } from "./pool.js";
import { explainExit } from "./exit-reason.js";
import { isImageBuildError } from "./images/build-steps.js";
import { createExecutorImages } from "./images/executor-images.js";
import { ContainerLimits } from "./limits/container-limits.js";
import { AttemptMeter, type AttemptEnd } from "./limits/attempt-meter.js";
import { chooseBackend } from "./backends/choose.js";
import { BACKEND_LABEL } from "./backends/kinds.js";
import { chooseEnforcement, ENFORCEMENT_LABEL } from "./limits/enforcement.js";
import { resolveUnits } from "./limits/units.js";
import { defaultCapacity, type ExecutorOptions, type RunningExecutor } from "./options.js";
import { errorLogLines, newRun, stripOwn, type AttemptRun } from "./attempt-run.js";
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
  /** Per container running a run: the item each stream's output belongs to, by its last log mark. */
  const logItems = new WeakMap<ContainerProcess, Record<"stdout" | "stderr", string | null>>();
  const rpcs = new Map<string, ExecutorRpc>();
  /**
   * Results sent but not yet acknowledged as committed: re-sent after a reconnect, and kept in the
   * outbox on disk so that a restart on the same data re-sends them too (outbox.ts).
   */
  const outbox = new Outbox(o.dataDir);
  const unacked = new Map(outbox.load().map((m) => [m.attemptId, m]));
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
  /** Pool keys whose warm pool was started (warmContainers start once, when first seen). */
  const warmed = new Set<string>();
  const servers = stickyOrder(o.dataDir, o.servers);
  let currentServer = servers[0]!;
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
      running: [...attempts.keys(), ...unacked.keys()],
      runItems: o.runItems ?? Number(process.env.TRIBUTARY_RUN_ITEMS ?? RUN_ITEMS),
    }),
    resend: () => [...rpcs.values(), ...unacked.values()],
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
    : new ServerConnection({ ...handlers, servers, token: o.token });

  function send(m: FromExecutor): void {
    conn.send(m);
  }

  const runs = new Runs({
    attempts,
    acquire,
    arm: (r, c) => arm(r, c, true),
    giveBack: (r, why) =>
      finish(r, {
        t: "done",
        attemptId: r.a.attemptId,
        ok: false,
        reason: "internal_error",
        error: notStartedError(r, why),
        notStarted: true,
      }),
    release: (c) => pool.release(c),
    handOver: (c) => logItems.delete(c),
    runMessage: (a, c) => runMessage(a, null, c),
  });

  /**
   * Reports an attempt's end once. `reuse`: its container returned the result and stays usable
   * (the next item of its run, if any, already runs there); otherwise the run's unstarted items
   * are abandoned (their container is gone or being killed).
   */
  function finish(
    run: AttemptRun,
    done: Extract<FromExecutor, { t: "done" }>,
    own: Pick<AttemptEnd, "ownRss" | "ownCpuMicros"> = {},
    reuse = false,
  ): void {
    if (run.finished) return;
    run.finished = true;
    run.timer?.stop();
    // Usage covers attempts that ran on a container; one that never got there reports none.
    const usage = run.meter?.end({ memoryGb: run.a.spec.memory, containerStarted: run.coldStart, ...own });
    const result = usage ? { ...done, usage } : done;
    attempts.delete(run.a.attemptId);
    spool.discard(run.a.attemptId);
    for (const key of rpcs.keys()) if (key.startsWith(`${run.a.attemptId}:`)) rpcs.delete(key);
    unacked.set(run.a.attemptId, result);
    results.push(result);
    if (results.length === 1) queueMicrotask(sendResults);
    const c = run.container;
    if (!c) return;
    if (run.queue && (!reuse || c.state === "exited" || c.killReason))
      runs.abandon(run.queue, "its container ended before the item started");
    // One call at a time: the container stays out of the pool while another item runs there (the
    // next item of the run, or one still waiting on a child after its queue was given back).
    const current = c.attemptId === run.a.attemptId ? undefined : attempts.get(c.attemptId ?? "");
    if (current && current.container === c && !current.finished) return;
    pool.release(c);
  }

  /**
   * Results of this turn, kept in the outbox in one write, then sent: the results read from
   * containers in one poll phase are reported together, one check phase later (`report`).
   */
  const results: Extract<FromExecutor, { t: "done" }>[] = [];
  function sendResults(): void {
    const batch = results.splice(0);
    outbox.putAll(batch);
    for (const r of batch) send(r);
  }

  /** Results read from containers, reported together one check phase later (see `done`). */
  let reporting: (() => void)[] = [];
  function report(f: () => void): void {
    reporting.push(f);
    if (reporting.length > 1) return;
    setImmediate(() => {
      const now = reporting;
      reporting = [];
      for (const g of now) g();
    });
  }

  function fail(run: AttemptRun, reason: FailureReason, error: PlainError): void {
    finish(run, { t: "done", attemptId: run.a.attemptId, ok: false, reason, error });
  }

  /** Aborts `ctx.signal`, then kills the container after the grace, then reports. */
  function stopRun(run: AttemptRun, why: "timeout" | "cancelled", reason: FailureReason, error: PlainError): void {
    // Its result is in (and reported in a moment): the container may run the next item already.
    if (run.finished || run.stopping || run.reported) return;
    run.stopping = true;
    run.timer?.stop();
    runs.stopping(run, why);
    const c = run.container;
    if (!c) return fail(run, reason, error);
    c.send({ t: "abort", attemptId: run.a.attemptId, reason: why });
    clock.setTimer(grace, () => {
      c.kill(why);
      fail(run, reason, error);
    });
  }

  async function onAssign(a: Assignment): Promise<void> {
    if (attempts.has(a.attemptId)) return;
    const run = newRun(a);
    attempts.set(a.attemptId, run);
    const got = await acquire(run);
    if (!got) return;
    if (run.finished) return pool.release(got.container); // cancelled meanwhile
    begin(run, got.container, got.inputFile);
  }

  /**
   * A container for `run`, with its input file; null when that failed (then `run` has failed). The
   * caller checks whether `run` was cancelled meanwhile.
   */
  async function acquire(run: AttemptRun): Promise<{ container: ContainerProcess; inputFile: string | null } | null> {
    const a = run.a;
    let inputFile: string | null;
    let bundlePath: string;
    try {
      inputFile = a.argsRef ? await spool.fetch(a.attemptId, a.argsRef) : null;
      bundlePath = await bundles.path(a.bundleKey);
    } catch (e) {
      // The server or the network failed us (e.g. the server died mid-download), not the
      // function: an internal error, retried without using up the retry policy.
      fail(run, "internal_error", { ...toPlainError(e), functionName: a.functionName });
      return null;
    }
    try {
      // Built once per executor, in a build sandbox on the sandbox backend (executor-images.ts).
      const { sandboxImage, image, ociImage } = await images.prepare(a.spec.image, a.bundleKey);
      // CUDA_VISIBLE_DEVICES is fixed at fork: a container only serves calls given the same devices.
      const poolKey = `${a.namespace}/${a.application}@${a.version}/${a.target.kind}:${a.target.name}${a.gpus.length ? `#${a.gpus.join(",")}` : ""}`;
      const create = () => {
        const cid = `c-${randomUUID().slice(0, 8)}`;
        const tmpDir = containerTmpDir(o.dataDir, cid);
        const env = {
          ...a.env,
          ...(a.gpus.length ? { CUDA_VISIBLE_DEVICES: a.gpus.map((g) => g.split(":")[1]).join(",") } : {}),
          ...(image ? { NODE_PATH: image.nodePath.join(":") } : {}),
        };
        return {
          id: cid,
          poolKey,
          bundlePath,
          target: a.target,
          memoryMb: limits.heapMb(a.spec),
          tmpDir,
          inboxDir: containerInboxDir(o.dataDir, cid),
          cwd: image?.cwd,
          env,
          onMessage: onContainerMessage,
          onLog,
          // The sandbox's /tmp is a tmpfs of exactly the quota: the kernel enforces the disk there.
          onSpawn: (c: ContainerProcess) => limits.attach(c, a.spec, backend === "sandbox" ? null : tmpDir),
          launcher,
          resources: {
            cpu: a.spec.cpu,
            memoryBytes: limits.memoryBytes(a.spec),
            diskBytes: limits.diskBytes(a.spec),
            gpus: a.gpus.map((g) => g.split(":")[1]!),
          },
          imageRoot: image?.root,
          sandboxImage: sandboxImage ?? undefined,
          ociImage: ociImage ?? undefined,
          onExit: (c: ContainerProcess, code: number | null, signal: NodeJS.Signals | null) => {
            limits.detach(c); // first: a kernel OOM kill becomes the container's kill reason
            onContainerExit(c, code, signal);
          },
        };
      };
      const container = await pool.acquire(poolKey, create, a.initTimeoutMs);
      const warm = Math.max(a.spec.warmContainers, a.spec.minContainers);
      if (warm > 0 && !warmed.has(poolKey)) {
        warmed.add(poolKey);
        pool.prewarm(poolKey, warm, a.spec.minContainers, create, a.initTimeoutMs);
      }
      return { container, inputFile };
    } catch (e) {
      const plain: PlainError = toPlainError(e);
      const timedOut = plain.name === "TimeoutError";
      if (isImageBuildError(e)) fail(run, "function_error", { ...plain, functionName: a.functionName });
      else
        fail(run, timedOut ? "function_timeout" : "function_error", {
          ...plain,
          message: timedOut
            ? `${a.target.kind === "class" ? "class constructor" : "container start"} of ${a.functionName} did not finish within ${a.initTimeoutMs / 1000} s`
            : `${a.target.kind === "class" ? `constructor of ${a.target.name} failed` : "container failed to start"}: ${plain.message}`,
          functionName: a.functionName,
        });
      return null;
    }
  }

  /** Runs `run` alone on `container` (acquired for it): its timer starts now. */
  function begin(run: AttemptRun, container: ContainerProcess, inputFile: string | null): void {
    logItems.delete(container);
    arm(run, container);
    container.send(runMessage(run.a, inputFile, container));
  }

  /**
   * `run` starts on `container` now: its timer, its meter, and the server is told. `inRun`: an item
   * of a run, whose container reports its own CPU at the end (no start reading, unless a cgroup is
   * read: its counter also covers processes the container never reaped).
   */
  function arm(run: AttemptRun, container: ContainerProcess, inRun = false): void {
    const a = run.a;
    run.container = container;
    container.attemptId = a.attemptId;
    send({ t: "started", attemptId: a.attemptId, containerId: container.id, pid: container.pid });
    run.timer = new AttemptTimer(clock, a.timeoutMs, () =>
      stopRun(
        run,
        "timeout",
        "function_timeout",
        plainError("TimeoutError", `${a.functionName} timed out: no progress for ${a.timeoutMs / 1000} s`, {
          functionName: a.functionName,
        }),
      ),
    );
    run.timer.start();
    run.coldStart = container.attemptsServed++ === 0 && !container.prewarmed;
    run.meter = new AttemptMeter({
      probe: (full) => limits.probe(container, full),
      now: () => clock.now(),
      alwaysReadAtEnd: limits.readsCgroup(container),
      startReading: !inRun || limits.readsCgroup(container),
    });
  }

  function runMessage(a: Assignment, inputFile: string | null, container: ContainerProcess): RunMessage {
    return {
      t: "run",
      attemptId: a.attemptId,
      requestId: a.requestId,
      callId: a.callId,
      functionName: a.functionName,
      timeoutMs: a.timeoutMs,
      root: a.root,
      args: a.args,
      ...(inputFile ? { argsFile: spool.handTo(a.attemptId, inputFile, container.inbox) } : {}),
      headers: a.headers,
    };
  }

  function onContainerMessage(c: ContainerProcess, m: FromContainer): void {
    if (m.t === "dropped") return runs.dropped(c, m.attemptIds);
    if (!("attemptId" in m)) return;
    const run = attempts.get(m.attemptId);
    if (run) runs.spokeFor(run, c);
    if (!run || run.finished || run.stopping || run.container !== c) return;
    switch (m.t) {
      case "call":
      case "map":
      case "reduce":
      case "state-get":
      case "state-set": {
        // Child calls pause the timer while they are in flight; state operations do not.
        if (m.t === "call" || m.t === "map" || m.t === "reduce") {
          run.blocking.add(m.id);
          pool.setBlocked(c, true);
          if (run.meter) run.meter.waiting = true;
          run.timer?.pause();
        }
        const { id, ...rest } = m;
        const rpc = { ...rest, rpc: id } as ExecutorRpc;
        rpcs.set(`${m.attemptId}:${id}`, rpc);
        send(rpc);
        break;
      }
      case "progress":
        run.timer?.reset();
        send({ t: "progress", attemptId: m.attemptId, update: m.update, at: clock.now() });
        break;
      case "metric":
        send({ t: "metric", attemptId: m.attemptId, sample: m.sample, at: clock.now() });
        break;
      case "done":
        // One more sample before reporting: a burst between samples must not pass as a success.
        // Over a limit, the container is being killed and its exit reports the attempt instead.
        if (limits.exceededAtFinish(c, m.rss ?? null)) break;
        // In the sandbox the kernel refuses memory past the data limit and disk past /tmp's size:
        // a function that failed of that failed of its limit. Its container is replaced.
        if (!m.ok && backend === "sandbox" && limits.killForKernelLimit(c, run.a.spec, m.error)) break;
        // The container starts the next item of its run now: so does its timer.
        run.reported = true;
        run.timer?.stop();
        if (run.queue) runs.next(run.queue, c);
        // One check phase later: output the function wrote before returning (already in the pipe,
        // read in this same poll phase) is queued before the result.
        report(() => {
          // DESIGN §2 Logs: an uncaught error ends the attempt's stderr, so `logs` alone explains it.
          if (!m.ok) send({ t: "logs", lines: errorLogLines(m.attemptId, m.error, Date.now()) });
          finish(run, stripOwn(m), { ownRss: m.rss, ownCpuMicros: m.cpuMicros }, true);
        });
        break;
    }
  }

  function onContainerExit(c: ContainerProcess, code: number | null, signal: NodeJS.Signals | null): void {
    pool.forget(c);
    const run = c.attemptId ? attempts.get(c.attemptId) : undefined;
    // Its result came back before the exit: it stands (reported in a moment).
    if (!run || run.finished || run.reported || run.container !== c) return;
    const { reason, message } = explainExit(c, code, signal);
    fail(
      run,
      reason,
      plainError(
        reason === "out_of_memory" ? "OutOfMemoryError" : "ContainerExitError",
        `${run.a.functionName}: ${message}`,
        { functionName: run.a.functionName },
      ),
    );
  }

  function onLog(c: ContainerProcess, stream: "stdout" | "stderr", line: string): void {
    if (line.startsWith(LOG_MARK)) {
      // A run's item starts writing to this stream (container/log-marks.ts).
      const marks = logItems.get(c) ?? { stdout: null, stderr: null };
      marks[stream] = line.slice(LOG_MARK.length);
      logItems.set(c, marks);
      return;
    }
    if (o.echoLogs)
      (stream === "stdout" ? process.stdout : process.stderr).write(`[${c.poolKey.split("/").pop()}] ${line}\n`);
    const attemptId = logItems.get(c)?.[stream] ?? c.attemptId;
    if (!attemptId) return;
    // Straight into the ordered outgoing queue (batched per tick there): a line written before the
    // function returned reaches the server before its result does.
    send({ t: "logs", lines: [{ attemptId, stream, ts: Date.now(), line }] });
  }

  function onServerMessage(m: ToExecutor): void {
    switch (m.t) {
      case "assign":
        void onAssign(m.assignment);
        break;
      case "assign-run":
        void runs.assign(m.assignments);
        break;
      case "reply": {
        const key = `${m.attemptId}:${m.rpc}`;
        if (!rpcs.delete(key)) return; // duplicate reply after a re-send
        const run = attempts.get(m.attemptId);
        if (!run || run.finished || !run.container) return;
        if (run.blocking.delete(m.rpc)) {
          run.timer?.resume();
          if (run.blocking.size === 0) {
            pool.setBlocked(run.container, false);
            if (run.meter) run.meter.waiting = false;
          }
        }
        const { attemptId: _a, rpc, t: _t, ...rest } = m;
        run.container.send({ t: "reply", id: rpc, ...rest } as never);
        break;
      }
      case "cancel": {
        const run = attempts.get(m.attemptId);
        if (run) stopRun(run, "cancelled", "cancelled", plainError("CancelledError", "the request was cancelled"));
        break;
      }
      case "ack":
        unacked.delete(m.attemptId);
        outbox.remove(m.attemptId);
        break;
      case "resend":
        // A server took over attempts it did not know at our hello: their RPCs and results again.
        for (const r of handlers.resend()) send(r);
        break;
      case "welcome":
        for (const attemptId of m.kill) {
          const run = attempts.get(attemptId);
          // The server already gave up on this attempt: stop it without reporting. A run's
          // running item: the items behind it go back; a queued one leaves its container's queue.
          // One whose result is in has ended, and its container may run the next item of its run:
          // it is left to its report (which the server ignores) and to the container's release.
          if (!run || run.reported) continue;
          runs.stopping(run, "cancelled");
          run.finished = true;
          run.timer?.stop();
          run.meter?.stop();
          attempts.delete(attemptId);
          run.container?.kill("cancelled");
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
