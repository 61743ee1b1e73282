/**
 * The scope a call runs in inside a container: its `CallRuntime` forwards child calls to the
 * executor, and its `ContextBackend` forwards state, progress and metrics.
 *
 * Invariants:
 * - the sequence number of a child call is taken synchronously when user code makes the call, so a
 *   replayed attempt that makes the same calls in the same order asks for the same ids;
 * - the executor's timer is the one that kills; the scope keeps a mirror of it (same class, driven by
 *   the same start, progress and child-call events) for `ctx.deadline` and `ctx.onDeadline`, so the
 *   deadline costs no message. The mirror runs a hair ahead of the executor's, never behind it.
 */
import { AttemptTimer, deadlineLeadMs } from "../core/attempt-timer.js";
import { systemClock } from "../core/clock.js";
import { encodeArgs, encodeStructured, decodeStructured } from "../core/codec.js";
import type { CallRuntime, ContextBackend, MetricSample, ProgressUpdate, Scope } from "../core/scope.js";
import type { Channel } from "./channel.js";

export interface RunInfo {
  attemptId: string;
  requestId: string;
  callId: string;
  functionName: string;
  /** The attempt's timeout, for the mirror of the executor's timer. */
  timeoutMs: number;
  /** The invoke's headers without credentials. */
  headers?: [string, string][] | undefined;
}

/** A call's scope and the end of its timer mirror. */
export interface ContainerScope extends Scope {
  /** The attempt is over: deadline handlers never run again. */
  close(): void;
}

/** `abort.signal` is read only when user code reads `ctx.signal` (see lazy-abort.ts). */
export function createScope(ch: Channel, run: RunInfo, abort: { readonly signal: AbortSignal }): ContainerScope {
  let seq = 0;
  const { attemptId } = run;
  // No expiry callback: the executor's timer is the one that kills, so the mirror arms no timer of
  // its own (only deadline handlers, when a function registers one, schedule timers).
  const timer = new AttemptTimer(systemClock, run.timeoutMs, null, (e) =>
    console.error(`onDeadline handler of '${run.functionName}' failed:`, e),
  );
  timer.start();
  /** A child call: the clock is paused while it is in flight, as the executor's is. */
  const child = <T>(p: () => Promise<T>): Promise<T> => {
    timer.pause();
    return p().finally(() => timer.resume());
  };
  const runtime: CallRuntime = {
    async call(functionName, args) {
      const s = ++seq;
      const bytes = encodeArgs(args);
      const value = await child(() =>
        ch.request<Uint8Array>((id) => ({ t: "call", id, attemptId, seq: s, functionName, args: bytes }), functionName),
      );
      return decodeStructured(value, `result of ${functionName}`);
    },
    async map(functionName, items) {
      const s = ++seq;
      const encoded = items.map((item) => encodeArgs([item]));
      const values = await child(() =>
        ch.request<Uint8Array[]>(
          (id) => ({ t: "map", id, attemptId, seq: s, functionName, items: encoded }),
          functionName,
        ),
      );
      return values.map((v) => decodeStructured(v, `result of ${functionName}`));
    },
    async reduce(functionName, items, initial) {
      const s = ++seq;
      const encoded = items.map((item, i) => encodeStructured(item, `item ${i}`));
      const init = initial.present ? encodeStructured(initial.value, "initial value") : null;
      const value = await child(() =>
        ch.request<Uint8Array>(
          (id) => ({ t: "reduce", id, attemptId, seq: s, functionName, items: encoded, initial: init }),
          functionName,
        ),
      );
      return decodeStructured(value, `result of ${functionName}.reduce`);
    },
  };
  const context: ContextBackend = {
    requestId: run.requestId,
    functionName: run.functionName,
    callId: run.callId,
    get signal() {
      return abort.signal;
    },
    headers: run.headers ?? [],
    async stateGet(key) {
      const v = await ch.request<Uint8Array | null>((id) => ({ t: "state-get", id, attemptId, key }));
      return v ?? undefined;
    },
    async stateSet(key, value) {
      await ch.request<void>((id) => ({ t: "state-set", id, attemptId, key, value }));
    },
    async progress(update: ProgressUpdate) {
      timer.reset();
      ch.send({ t: "progress", attemptId, update });
    },
    async metric(sample: MetricSample) {
      ch.send({ t: "metric", attemptId, sample });
    },
    get deadline() {
      return timer.deadline;
    },
    onDeadline(handler, beforeMs) {
      return timer.onDeadline(handler, deadlineLeadMs(run.timeoutMs, beforeMs));
    },
  };
  return { runtime, context, close: () => timer.stop() };
}
