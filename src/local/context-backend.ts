/**
 * The `ContextBackend` of one local attempt: request state, progress, metrics and the signal.
 * Arguments arrive already validated and encoded by `RequestContext` (src/sdk/context.ts).
 *
 * Invariants:
 * - state is stored as encoded bytes, so a read is always a copy and never aliases a writer's value;
 * - a progress update is a `progress` event and re-arms the attempt's timeout;
 * - an attempt that is over (timed out, cancelled, finished) records nothing more: in production
 *   its container is gone;
 * - a replay (alwaysReplay) reads state but records nothing, since the original attempt already did.
 */
import { deadlineLeadMs } from "../core/attempt-timer.js";
import { CancelledError } from "../core/errors.js";
import type { ContextBackend, MetricSample, ProgressUpdate } from "../core/scope.js";
import { emit, type AttemptState, type RequestRun } from "./request-run.js";

export function createContextBackend(run: RequestRun, attempt: AttemptState): ContextBackend {
  const call = attempt.call;
  const silent = (): boolean => attempt.over || attempt.replay;
  return {
    requestId: run.id,
    functionName: call.entry.spec.name,
    callId: call.id,
    signal: attempt.signal,
    headers: run.headers,
    async stateGet(key: string): Promise<Uint8Array | undefined> {
      const bytes = run.state.get(key);
      return bytes === undefined ? undefined : bytes.slice();
    },
    async stateSet(key: string, value: Uint8Array): Promise<void> {
      if (attempt.over)
        throw new CancelledError(`state.set('${key}') after the attempt of '${call.entry.spec.name}' ended`);
      if (attempt.replay) return;
      run.state.set(key, value.slice());
    },
    async progress(update: ProgressUpdate): Promise<void> {
      if (silent()) return;
      const data: Record<string, unknown> = { current: update.current, total: update.total };
      if (update.message !== undefined) data.message = update.message;
      if (update.attributes !== undefined) data.attributes = { ...update.attributes };
      data.fraction = run.progress.report(call.id, update.current, update.total);
      emit(run, call, "progress", attempt.number, data);
      attempt.timer?.reset();
    },
    get deadline(): number | null {
      return attempt.over ? null : (attempt.timer?.deadline ?? null);
    },
    onDeadline(handler, beforeMs) {
      const lead = deadlineLeadMs(call.entry.spec.timeout * 1000, beforeMs);
      // A replayed attempt has no timer (it is re-running journaled work): nothing to warn about.
      if (!attempt.timer || attempt.over) return () => {};
      return attempt.timer.onDeadline(handler, lead);
    },
    async metric(sample: MetricSample): Promise<void> {
      if (silent()) return;
      run.metrics.push({
        callId: call.id,
        functionName: call.entry.spec.name,
        attempt: attempt.number,
        kind: sample.kind,
        name: sample.name,
        value: sample.value,
        at: run.clock.now(),
      });
    },
  };
}
