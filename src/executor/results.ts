/**
 * An attempt's end on the executor, reported to the server exactly once: its result (`done`, with
 * the usage its meter measured) is sent and kept until the server acknowledges it as committed, and
 * its container goes back to the pool unless another item of its run runs there.
 *
 * Invariants:
 * - `finish` reports an attempt once; later calls for it do nothing;
 * - the results of one turn are kept in the outbox in one write, then sent (outbox.ts);
 * - results sent but not acknowledged (`unacked`) are announced at the hello and re-sent after a
 *   reconnect; kept on disk, they are re-sent after a restart on the same data too;
 * - one call at a time per container: it goes back to the pool only once no other attempt runs there.
 */
import type { PlainError } from "../core/errors.js";
import type { FailureReason } from "../core/status.js";
import type { ExecutorRpc, FromExecutor } from "../core/wire/executor.js";
import type { AttemptRun, RunQueue } from "./attempt-run.js";
import type { ContainerProcess } from "./container-process.js";
import type { AttemptEnd } from "./limits/attempt-meter.js";
import type { Outbox } from "./outbox.js";

type Done = Extract<FromExecutor, { t: "done" }>;

export interface ResultDeps {
  attempts: Map<string, AttemptRun>;
  /** RPCs not yet answered, by `attemptId:rpc`: an ended attempt's are forgotten. */
  rpcs: Map<string, ExecutorRpc>;
  send(m: FromExecutor): void;
  /** The attempt's input file, if any, is no longer needed. */
  discard(attemptId: string): void;
  /** The run's unstarted items are given back (their container ended or is being killed). */
  abandon(q: RunQueue, why: string): void;
  /** The container back to the pool (nothing runs on it). */
  release(c: ContainerProcess): void;
}

export class Results {
  /**
   * Results sent but not yet acknowledged as committed: re-sent after a reconnect, and kept in the
   * outbox on disk so that a restart on the same data re-sends them too (outbox.ts).
   */
  readonly unacked: Map<string, Done>;
  /**
   * Results of this turn, kept in the outbox in one write, then sent: the results read from
   * containers in one poll phase are reported together, one check phase later (`report`).
   */
  private readonly results: Done[] = [];
  /** Results read from containers, reported together one check phase later (`done`, container-relay.ts). */
  private reporting: (() => void)[] = [];

  constructor(
    private readonly outbox: Outbox,
    private readonly d: ResultDeps,
  ) {
    this.unacked = new Map(outbox.load().map((m) => [m.attemptId, m]));
  }

  /**
   * Reports an attempt's end once. `reuse`: its container returned the result and stays usable
   * (the next item of its run, if any, already runs there); otherwise the run's unstarted items
   * are abandoned (their container is gone or being killed).
   */
  finish(run: AttemptRun, done: Done, own: Pick<AttemptEnd, "ownRss" | "ownCpuMicros"> = {}, reuse = false): void {
    if (run.finished) return;
    run.finished = true;
    run.timer?.stop();
    // Usage covers attempts that ran on a container; one that never got there reports none.
    const usage = run.meter?.end({ memoryGb: run.a.spec.memory, containerStarted: run.coldStart, ...own });
    const result = usage ? { ...done, usage } : done;
    this.d.attempts.delete(run.a.attemptId);
    this.d.discard(run.a.attemptId);
    for (const key of this.d.rpcs.keys()) if (key.startsWith(`${run.a.attemptId}:`)) this.d.rpcs.delete(key);
    this.unacked.set(run.a.attemptId, result);
    this.results.push(result);
    if (this.results.length === 1) queueMicrotask(() => this.sendResults());
    const c = run.container;
    if (!c) return;
    if (run.queue && (!reuse || c.state === "exited" || c.killReason))
      this.d.abandon(run.queue, "its container ended before the item started");
    // One call at a time: the container stays out of the pool while another item runs there (the
    // next item of the run, or one still waiting on a child after its queue was given back).
    const current = c.attemptId === run.a.attemptId ? undefined : this.d.attempts.get(c.attemptId ?? "");
    if (current && current.container === c && !current.finished) return;
    this.d.release(c);
  }

  fail(run: AttemptRun, reason: FailureReason, error: PlainError): void {
    this.finish(run, { t: "done", attemptId: run.a.attemptId, ok: false, reason, error });
  }

  /**
   * Runs `f` one check phase later, with the other results read from containers in this poll phase:
   * output a function wrote before returning (already in the pipe) is queued before its result.
   */
  report(f: () => void): void {
    this.reporting.push(f);
    if (this.reporting.length > 1) return;
    setImmediate(() => {
      const now = this.reporting;
      this.reporting = [];
      for (const g of now) g();
    });
  }

  /** The server committed the attempt's result: it is forgotten here and in the outbox. */
  ack(attemptId: string): void {
    this.unacked.delete(attemptId);
    this.outbox.remove(attemptId);
  }

  private sendResults(): void {
    const batch = this.results.splice(0);
    this.outbox.putAll(batch);
    for (const r of batch) this.d.send(r);
  }
}
