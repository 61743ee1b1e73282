/**
 * The executor between a container and the server: what a container says (child calls and state
 * operations, progress, metrics, its result, its output lines, its exit) goes on to the server or
 * ends its attempt, and the server's replies to its calls come back to it.
 *
 * Invariants:
 * - only the attempt a container currently runs speaks through it: messages for an attempt that
 *   finished, is stopping, or runs elsewhere are dropped;
 * - child calls pause the attempt's timer (and mark the container blocked) while they are in flight;
 *   state operations do not;
 * - an attempt's output reaches the server before its result: lines go straight into the ordered
 *   outgoing queue, and a result is reported one check phase after it is read (`report`);
 * - a run's output is attributed by the container's log marks (container/log-marks.ts): per stream,
 *   to the item that last marked it.
 */
import type { Clock } from "../core/clock.js";
import { plainError } from "../core/errors.js";
import { LOG_MARK, type FromContainer } from "../core/wire/container.js";
import type { ExecutorRpc, FromExecutor, ToExecutor } from "../core/wire/executor.js";
import { errorLogLines, stripOwn, type AttemptRun } from "./attempt-run.js";
import type { ContainerBackend } from "./backends/kinds.js";
import type { ContainerProcess } from "./container-process.js";
import { explainExit } from "./exit-reason.js";
import type { ContainerLimits } from "./limits/container-limits.js";
import type { ContainerPool } from "./pool.js";
import type { Results } from "./results.js";
import type { Runs } from "./runs.js";

type Reply = Extract<ToExecutor, { t: "reply" }>;

export interface RelayDeps {
  attempts: Map<string, AttemptRun>;
  /** RPCs sent and not yet answered, by `attemptId:rpc` (re-sent after a reconnect). */
  rpcs: Map<string, ExecutorRpc>;
  runs: Runs;
  results: Results;
  pool: ContainerPool;
  limits: ContainerLimits;
  backend: ContainerBackend;
  clock: Clock;
  send(m: FromExecutor): void;
  /** Container output also goes to this process's stdout and stderr. */
  echoLogs?: boolean | undefined;
}

export class ContainerRelay {
  /** Per container running a run: the item each stream's output belongs to, by its last log mark. */
  private readonly logItems = new WeakMap<ContainerProcess, Record<"stdout" | "stderr", string | null>>();

  constructor(private readonly d: RelayDeps) {}

  /** A run's items are about to go to `c`, or an attempt runs alone there: its log attribution starts afresh. */
  handOver(c: ContainerProcess): void {
    this.logItems.delete(c);
  }

  /** A container's message: relayed to the server, or its attempt's result. */
  onMessage(c: ContainerProcess, m: FromContainer): void {
    const { runs, attempts, pool, rpcs, clock, limits, backend, results, send } = this.d;
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
        results.report(() => {
          // DESIGN §2 Logs: an uncaught error ends the attempt's stderr, so `logs` alone explains it.
          if (!m.ok) send({ t: "logs", lines: errorLogLines(m.attemptId, m.error, Date.now()) });
          results.finish(run, stripOwn(m), { ownRss: m.rss, ownCpuMicros: m.cpuMicros }, true);
        });
        break;
    }
  }

  /** A container exited: the attempt it ran, if its result is not in, failed with the exit's reason. */
  onExit(c: ContainerProcess, code: number | null, signal: NodeJS.Signals | null): void {
    const { pool, attempts, results } = this.d;
    pool.forget(c);
    const run = c.attemptId ? attempts.get(c.attemptId) : undefined;
    // Its result came back before the exit: it stands (reported in a moment).
    if (!run || run.finished || run.reported || run.container !== c) return;
    const { reason, message } = explainExit(c, code, signal);
    results.fail(
      run,
      reason,
      plainError(
        reason === "out_of_memory" ? "OutOfMemoryError" : "ContainerExitError",
        `${run.a.functionName}: ${message}`,
        { functionName: run.a.functionName },
      ),
    );
  }

  /** A line of a container's output: a run's log mark, or a line of the attempt it belongs to. */
  onLog(c: ContainerProcess, stream: "stdout" | "stderr", line: string): void {
    const { send } = this.d;
    if (line.startsWith(LOG_MARK)) {
      // A run's item starts writing to this stream (container/log-marks.ts).
      const marks = this.logItems.get(c) ?? { stdout: null, stderr: null };
      marks[stream] = line.slice(LOG_MARK.length);
      this.logItems.set(c, marks);
      return;
    }
    if (this.d.echoLogs)
      (stream === "stdout" ? process.stdout : process.stderr).write(`[${c.poolKey.split("/").pop()}] ${line}\n`);
    const attemptId = this.logItems.get(c)?.[stream] ?? c.attemptId;
    if (!attemptId) return;
    // Straight into the ordered outgoing queue (batched per tick there): a line written before the
    // function returned reaches the server before its result does.
    send({ t: "logs", lines: [{ attemptId, stream, ts: Date.now(), line }] });
  }

  /** The server answered a container's call or state operation. */
  onReply(m: Reply): void {
    const { rpcs, attempts, pool } = this.d;
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
  }
}
