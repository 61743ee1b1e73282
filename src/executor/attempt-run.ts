/**
 * One attempt as the executor runs it (`AttemptRun`), the run it may be an item of (`RunQueue`,
 * the server's `assign-run`), and what its result turns into on the way to the server.
 */
import type { AttemptTimer } from "../core/attempt-timer.js";
import type { PlainError } from "../core/errors.js";
import type { FromContainer } from "../core/wire/container.js";
import type { Assignment, FromExecutor, LogLineMsg } from "../core/wire/executor.js";
import type { ContainerProcess } from "./container-process.js";
import type { AttemptMeter } from "./limits/attempt-meter.js";

export interface AttemptRun {
  a: Assignment;
  container: ContainerProcess | null;
  timer: AttemptTimer | null;
  /** RPC ids of child calls in flight (they pause the timer). */
  blocking: Set<number>;
  finished: boolean;
  /** Timed out or cancelled: the signal was aborted; whatever the function returns now is ignored. */
  stopping: boolean;
  /** Its container returned its result (reported once the output before it is flushed). */
  reported?: boolean | undefined;
  /** Measures the attempt's usage from its start on the container to its result. */
  meter: AttemptMeter | null;
  /** The container was started for this attempt (not reused warm, not prewarmed). */
  coldStart: boolean;
  /** The run this attempt is an item of (`assign-run`), while the run goes on. */
  queue?: RunQueue | undefined;
}

/**
 * A run's items, in order. The container has them all (`runs`) and runs them one after another;
 * here each item starts (timer, meter, `started`) when the previous one's result comes.
 */
export interface RunQueue {
  items: AttemptRun[];
  container: ContainerProcess | null;
}

/** An attempt just assigned: not yet on a container. */
export function newRun(a: Assignment): AttemptRun {
  return {
    a,
    container: null,
    timer: null,
    blocking: new Set(),
    finished: false,
    stopping: false,
    meter: null,
    coldStart: false,
  };
}

/** The error that ended an attempt as its last stderr lines: the (cleaned) stack, else name: message. */
export function errorLogLines(attemptId: string, error: PlainError, ts: number): LogLineMsg[] {
  const text = error.stack?.trim() ? error.stack : `${error.name}: ${error.message}`;
  return text.split("\n").map((line) => ({ attemptId, stream: "stderr" as const, ts, line }));
}

/** The container's own figures feed the executor's check and meter; the server gets the usage instead. */
export function stripOwn(m: Extract<FromContainer, { t: "done" }>): Extract<FromExecutor, { t: "done" }> {
  const { rss: _rss, cpuMicros: _cpu, ...rest } = m;
  return rest;
}
