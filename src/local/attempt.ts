/**
 * One attempt of one call: installs the scope, runs the user code, and decides the outcome.
 *
 * The outcome is decided exactly once, by the first of: the handler's result (encoded by
 * `encodeResult`, the boundary copy), its error, the timeout (docs/semantics.md: armed when the function
 * starts, reset by progress, paused while a child is in flight), or the end of the request
 * (cancel / finish). In-process code cannot be killed, so a late result of a timed-out or cancelled
 * attempt is ignored and its signal is aborted so well-behaved code stops.
 */
import { classInstance, type ClassEntry } from "../core/registry.js";
import { CancelledError, TimeoutError } from "../core/errors.js";
import { scopeStorage, type Scope } from "../core/scope.js";
import { AttemptTimer } from "../core/attempt-timer.js";
import type { AttemptUsage } from "../core/usage.js";
import { createCallRuntime, type SpawnChild } from "./call-runtime.js";
import { createContextBackend } from "./context-backend.js";
import type { AttemptState, CallState, RequestRun } from "./request-run.js";

export type AttemptResult<R> = { ok: true; result: R } | { ok: false; error: unknown };

export interface AttemptRun<R> {
  result: AttemptResult<R>;
  attempt: AttemptState;
}

export function runAttempt<R>(
  run: RequestRun,
  call: CallState,
  number: number,
  args: unknown[],
  encodeResult: (value: unknown) => R | Promise<R>,
  spawn: SpawnChild,
  replay: boolean,
): Promise<AttemptRun<R>> {
  const controller = new AbortController();
  const attempt: AttemptState = {
    call,
    number,
    signal: controller.signal,
    replay,
    over: false,
    nextSeq: 0,
    asked: [],
    timer: null,
    poison: null,
  };
  const spec = call.entry.spec;
  /** When the function started (after a class's constructor), for its usage; null until then. */
  let startedAt: number | null = null;
  return new Promise<AttemptRun<R>>((resolve) => {
    const settle = (result: AttemptResult<R>): void => {
      if (attempt.over) return;
      attempt.over = true;
      if (startedAt !== null) run.usage.push(localUsage(spec.memory, (run.clock.now() - startedAt) / 1000));
      attempt.timer?.stop();
      run.stop.signal.removeEventListener("abort", onStop);
      if (call.abortRunning === fail) call.abortRunning = null;
      if (!result.ok) controller.abort(result.error);
      resolve({ result, attempt });
    };
    const fail = (e: unknown): void => settle({ ok: false, error: attempt.poison ?? e });
    const onStop = (): void => fail(run.stop.signal.reason ?? new CancelledError("the request was cancelled"));
    if (run.stop.signal.aborted) return onStop();
    run.stop.signal.addEventListener("abort", onStop, { once: true });
    call.abortRunning = fail;

    const scope: Scope = {
      runtime: createCallRuntime(run, attempt, spawn),
      context: createContextBackend(run, attempt),
    };
    (async () => {
      const self = call.entry.classEntry
        ? await construct(run, call.entry.classEntry, spec.timeout, spec.name)
        : undefined;
      if (attempt.over) return;
      startedAt = run.clock.now();
      if (!replay) {
        attempt.timer = new AttemptTimer(
          run.clock,
          spec.timeout * 1000,
          () =>
            fail(new TimeoutError(`function '${spec.name}' timed out: no progress for ${spec.timeout} s`, spec.name)),
          (e) => console.error(`onDeadline handler of '${spec.name}' failed:`, e),
        );
        attempt.timer.start();
      }
      const value = await scopeStorage().run(scope, () => call.entry.handler.apply(self, args));
      if (attempt.over) return;
      attempt.timer?.stop();
      if (attempt.poison) return fail(attempt.poison);
      settle({ ok: true, result: await encodeResult(value) });
    })().catch(fail);
  });
}

/**
 * An in-process attempt's usage: wall seconds and GB-seconds as on an executor; CPU and peak memory
 * unknown (null), since `process.cpuUsage()` and RSS belong to the whole process, shared by every
 * call running in it.
 */
function localUsage(memoryGb: number, wallSeconds: number): AttemptUsage {
  return {
    wallSeconds,
    cpuSeconds: null,
    peakMemoryBytes: null,
    memoryGbSeconds: Math.round(memoryGb * wallSeconds * 1e6) / 1e6,
    containerStarted: false,
  };
}

/**
 * The class instance, constructed once per class per process (as once per container), outside any
 * request scope, under the class's init timeout (the function timeout by default).
 */
function construct(run: RequestRun, c: ClassEntry, fnTimeout: number, fnName: string): Promise<object> {
  const seconds = c.initTimeout ?? fnTimeout;
  return new Promise<object>((resolve, reject) => {
    const timer = run.clock.setTimer(seconds * 1000, () =>
      reject(new TimeoutError(`constructor of class '${c.name}' did not finish within ${seconds} s`, fnName)),
    );
    scopeStorage()
      .exit(() => classInstance(c))
      .then(
        (v) => {
          timer.cancel();
          resolve(v);
        },
        (e: unknown) => {
          timer.cancel();
          reject(e);
        },
      );
  });
}
