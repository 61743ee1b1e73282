/**
 * The in-memory state of one local request and of its calls and attempts.
 *
 * Request lifecycle:  running → succeeded | failed | cancelled   (pending is instantaneous here)
 * Call lifecycle:     pending → running → succeeded | failed | cancelled
 * Attempt lifecycle:  running → succeeded | failed | cancelled
 *
 * Invariant: a call or attempt reaches a terminal status once; whoever gets there first (the
 * attempt's own outcome, its timeout, a cancel, the end of the request) wins and the rest is ignored.
 */
import { ProgressTree } from "../core/progress-tree.js";
import type { Clock } from "../core/clock.js";
import type { FunctionEntry, AppEntry } from "../core/registry.js";
import type { Status, FailureReason } from "../core/status.js";
import type { AttemptTimer } from "../core/attempt-timer.js";
import { EventLog, type EventInput } from "./event-log.js";
import { Journal } from "./journal.js";
import type { AttemptUsage } from "../core/usage.js";

/** One recorded metric sample (per request, call and attempt). */
export interface MetricRecord {
  callId: string;
  functionName: string;
  attempt: number;
  kind: "counter" | "timer";
  name: string;
  value: number;
  at: number;
}

export interface CallState {
  readonly id: string;
  readonly parentId: string | null;
  readonly entry: FunctionEntry;
  status: Status;
  attemptsUsed: number;
  /** Aborts the running attempt, if any (used by cancel and by the end of the request). */
  abortRunning: ((reason: Error) => void) | null;
}

export interface AttemptState {
  readonly call: CallState;
  readonly number: number;
  readonly signal: AbortSignal;
  /** A replay (alwaysReplay): calls must come from the journal; nothing is recorded. */
  readonly replay: boolean;
  /** True once this attempt's outcome is decided; later activity of its code is ignored. */
  over: boolean;
  nextSeq: number;
  /** Durable ids of the calls this attempt asked for, in order (compared by replays). */
  readonly asked: string[];
  timer: AttemptTimer | null;
  /** A non-determinism found in this attempt: it fails with it whatever the user code does. */
  poison: Error | null;
}

export interface RequestRun {
  readonly id: string;
  readonly clock: Clock;
  readonly app: AppEntry;
  readonly events: EventLog;
  readonly journal: Journal;
  readonly alwaysReplay: boolean;
  /** Request state: encoded bytes per key, so every read decodes a fresh copy. */
  readonly state: Map<string, Uint8Array>;
  readonly metrics: MetricRecord[];
  /** Aborted when the request is cancelled or has finished: nothing new may start. */
  readonly stop: AbortController;
  readonly liveCalls: Set<CallState>;
  /** Progress aggregated over the call tree. */
  readonly progress: ProgressTree;
  /** The invoke's headers without credentials (`ctx.headers`). */
  headers: [string, string][];
  /**
   * Each finished attempt's usage. Only what in-process code can measure honestly: wall seconds and
   * GB-seconds; CPU and memory are null because every call (and the caller) shares one process.
   */
  readonly usage: AttemptUsage[];
}

export function createRequestRun(id: string, clock: Clock, app: AppEntry, alwaysReplay: boolean): RequestRun {
  return {
    id,
    clock,
    app,
    events: new EventLog(clock),
    journal: new Journal(),
    progress: new ProgressTree(),
    alwaysReplay,
    state: new Map(),
    metrics: [],
    stop: new AbortController(),
    headers: [],
    liveCalls: new Set(),
    usage: [],
  };
}

/** Appends a call-scoped event. */
export function emit(
  run: RequestRun,
  call: CallState,
  kind: EventInput["kind"],
  attempt?: number,
  data?: Record<string, unknown>,
): void {
  run.events.append({
    kind,
    callId: call.id,
    parentCallId: call.parentId,
    functionName: call.entry.spec.name,
    ...(attempt !== undefined ? { attempt } : {}),
    ...(data !== undefined ? { data } : {}),
  });
}

/** Moves a call to a terminal status once, announcing it with `call:finished`. */
export function finishCall(run: RequestRun, call: CallState, status: Status, reason: FailureReason | null): boolean {
  if (call.status === "succeeded" || call.status === "failed" || call.status === "cancelled") return false;
  call.status = status;
  call.abortRunning = null;
  run.progress.finish(call.id, status === "succeeded");
  run.liveCalls.delete(call);
  emit(run, call, "call:finished", undefined, { status, reason });
  return true;
}
