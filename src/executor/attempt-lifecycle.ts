/**
 * An attempt's way through the executor, from the server's `assign` to its end:
 *
 *   assigned → starting (container acquired, init; acquire.ts) → running (timer armed; paused while
 *   child calls are in flight) → finished (done sent exactly once; results.ts)
 *   running → stopping (timed out or cancelled: `ctx.signal` aborted, the container killed after
 *   the grace) → finished
 *
 * Runs (`assign-run`): several items share one container, one after another (runs.ts); each item
 * is armed here when it starts there.
 *
 * Invariants:
 * - an attempt's timeout starts when it starts on its container (`arm`), not when it is assigned: a
 *   container's start is bounded by the init timeout instead;
 * - once stopping, nothing the function returns counts: the attempt fails with the stop's reason;
 * - an attempt the server already gave up on (`drop`) ends without a report.
 */
import type { Clock } from "../core/clock.js";
import { plainError, type PlainError } from "../core/errors.js";
import type { FailureReason } from "../core/status.js";
import type { RunMessage } from "../core/wire/container.js";
import type { Assignment, FromExecutor } from "../core/wire/executor.js";
import { AttemptTimer } from "../core/attempt-timer.js";
import type { Acquirer } from "./acquire.js";
import { newRun, type AttemptRun } from "./attempt-run.js";
import type { ContainerProcess } from "./container-process.js";
import type { InputSpool } from "./inputs.js";
import { AttemptMeter } from "./limits/attempt-meter.js";
import type { ContainerLimits } from "./limits/container-limits.js";
import type { ContainerPool } from "./pool.js";
import type { Results } from "./results.js";
import type { Runs } from "./runs.js";

export interface LifecycleDeps {
  attempts: Map<string, AttemptRun>;
  clock: Clock;
  /** Between aborting `ctx.signal` and killing the container. */
  graceMs: number;
  acquirer: Acquirer;
  runs: Runs;
  results: Results;
  pool: ContainerPool;
  limits: ContainerLimits;
  spool: InputSpool;
  send(m: FromExecutor): void;
  /** An attempt is about to run alone on `c`: its log attribution starts afresh (container-relay.ts). */
  handOver(c: ContainerProcess): void;
}

export class AttemptLifecycle {
  constructor(private readonly d: LifecycleDeps) {}

  /** The server's `assign`: one attempt alone on a container. */
  async assign(a: Assignment): Promise<void> {
    const { attempts, acquirer, pool } = this.d;
    if (attempts.has(a.attemptId)) return;
    const run = newRun(a);
    attempts.set(a.attemptId, run);
    const got = await acquirer.acquire(run);
    if (!got) return;
    if (run.finished) return pool.release(got.container); // cancelled meanwhile
    this.begin(run, got.container, got.inputFile);
  }

  /** Runs `run` alone on `container` (acquired for it): its timer starts now. */
  private begin(run: AttemptRun, container: ContainerProcess, inputFile: string | null): void {
    this.d.handOver(container);
    this.arm(run, container);
    container.send(this.runMessage(run.a, inputFile, container));
  }

  /**
   * `run` starts on `container` now: its timer, its meter, and the server is told. `inRun`: an item
   * of a run, whose container reports its own CPU at the end (no start reading, unless a cgroup is
   * read: its counter also covers processes the container never reaped).
   */
  arm(run: AttemptRun, container: ContainerProcess, inRun = false): void {
    const { clock, limits, send } = this.d;
    const a = run.a;
    run.container = container;
    container.attemptId = a.attemptId;
    send({ t: "started", attemptId: a.attemptId, containerId: container.id, pid: container.pid });
    run.timer = new AttemptTimer(clock, a.timeoutMs, () =>
      this.stop(
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

  /** What `container` is sent to run `a` (`inputFile`: a root's input, handed to the container's inbox). */
  runMessage(a: Assignment, inputFile: string | null, container: ContainerProcess): RunMessage {
    return {
      t: "run",
      attemptId: a.attemptId,
      requestId: a.requestId,
      callId: a.callId,
      functionName: a.functionName,
      timeoutMs: a.timeoutMs,
      root: a.root,
      args: a.args,
      ...(inputFile ? { argsFile: this.d.spool.handTo(a.attemptId, inputFile, container.inbox) } : {}),
      headers: a.headers,
    };
  }

  /** Aborts `ctx.signal`, then kills the container after the grace, then reports. */
  stop(run: AttemptRun, why: "timeout" | "cancelled", reason: FailureReason, error: PlainError): void {
    const { runs, results, clock } = this.d;
    // Its result is in (and reported in a moment): the container may run the next item already.
    if (run.finished || run.stopping || run.reported) return;
    run.stopping = true;
    run.timer?.stop();
    runs.stopping(run, why);
    const c = run.container;
    if (!c) return results.fail(run, reason, error);
    c.send({ t: "abort", attemptId: run.a.attemptId, reason: why });
    clock.setTimer(this.d.graceMs, () => {
      c.kill(why);
      results.fail(run, reason, error);
    });
  }

  /**
   * The server already gave up on this attempt: stop it without reporting. A run's running item:
   * the items behind it go back; a queued one leaves its container's queue. One whose result is in
   * has ended, and its container may run the next item of its run: it is left to its report (which
   * the server ignores) and to the container's release.
   */
  drop(attemptId: string): void {
    const { attempts, runs } = this.d;
    const run = attempts.get(attemptId);
    if (!run || run.reported) return;
    runs.stopping(run, "cancelled");
    run.finished = true;
    run.timer?.stop();
    run.meter?.stop();
    attempts.delete(attemptId);
    run.container?.kill("cancelled");
  }
}
