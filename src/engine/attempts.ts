/**
 * Starting and finishing attempts, and the retry decision (docs/semantics.md).
 *
 * Call:    pending → running (`start`) → succeeded | failed | cancelled (`finishCall`)
 *          running → pending (`retry`, after the backoff or at once for an infrastructure fault)
 *          pending → failed (`unplaceable`: constraint_unsatisfiable)
 * Attempt: running → succeeded | failed | cancelled; its capacity reservation is given back
 *          (`release`) before its outcome is committed, so the next scheduling pass can use it.
 *
 * An attempt fails when the function throws, times out, or its container dies; while attempts remain
 * it is retried after the backoff. `RequestError` and non-determinism are never retried. Faults that
 * are not the function's doing (executor lost, server restart) retry without using up the policy, up
 * to `INFRA_RETRY_CAP`.
 */
import { STRUCTURED_CONTENT_TYPE } from "../core/codec.js";
import { plainError, type PlainError } from "../core/errors.js";
import { backoffMs, effectivePolicy, INFRA_RETRY_CAP } from "../core/retry.js";
import { outcomeOf, type FailureReason } from "../core/status.js";
import { validUsage } from "../core/usage.js";
import type { RequestEvent } from "../core/request.js";
import type { Assignment, FromExecutor } from "../core/wire/executor.js";
import type { ContainerLimit, NewEvent, RequestPatch } from "../store/types.js";
import type { Children } from "./children.js";
import type { LiveAttempt, LiveCall, RunShare } from "./model.js";
import { Payloads } from "./payloads.js";
import type { Requests } from "./requests.js";
import type { EngineResources } from "./resources.js";
import type { Placer, Scheduler } from "./scheduler.js";
import type { Telemetry } from "./telemetry.js";

/**
 * How long a container may take to start a plain function (process, sandbox, bundle load). The
 * function's clock starts when the function does, so a 1 s timeout must not bound a cold start on a
 * busy machine. A class's constructor keeps its own init timeout (the function's by default).
 */
const CONTAINER_START_MS = 60_000;

type Done = Extract<FromExecutor, { t: "done" }>;

/** How soon a call refused by a cluster-wide maxContainers tries again (a slot frees on any server). */
const LIMIT_RETRY_MS = 250;

/** A cluster-wide maxContainers: the function, or every method of its class, of the request's version. */
function containerLimit(c: LiveCall, max: number): ContainerLimit {
  const app = c.req.app;
  const cls = c.spec.className;
  const functions = cls ? [...app.functions].filter(([, f]) => f.className === cls).map(([name]) => name) : [];
  return {
    namespace: app.namespace,
    application: app.name,
    version: app.version,
    functions: cls ? functions : [c.functionName],
    max,
  };
}

export class Attempts implements Placer {
  constructor(
    private readonly res: EngineResources,
    private readonly scheduler: Scheduler,
    private readonly children: Children,
    private readonly requests: Requests,
    private readonly telemetry: Telemetry,
  ) {}

  /** Reserves capacity now (synchronously, so one pass cannot over-place) and starts the attempt. */
  start(c: LiveCall, executorId: string, gpus: string[]): void {
    const a = this.track(this.res.newId(), c.attemptsUsed + c.infraRetries + 1, c, executorId, gpus);
    void this.launch(a).catch((err) => this.infraFail(a, `could not start: ${(err as Error).message}`));
  }

  /** `start` for a run's calls (runs.ts): one reservation for all, held until the last one ends. */
  startRun(calls: LiveCall[], executorId: string): void {
    const share: RunShare = { left: 0, cpuHeld: true, lastActivity: this.res.clock.now() };
    const as = calls.map((c) =>
      this.track(this.res.newId(), c.attemptsUsed + c.infraRetries + 1, c, executorId, [], share),
    );
    void this.launchRun(as).catch((err) => {
      for (const a of as) void this.infraFail(a, `could not start: ${(err as Error).message}`);
    });
  }

  /**
   * Makes an attempt live on `executorId` and reserves its resources there: for a new attempt, and
   * for a running one found in the store after a restart. An item of a run reserves only as the
   * run's first (`share`).
   */
  track(id: string, number: number, c: LiveCall, executorId: string, gpus: string[], share?: RunShare): LiveAttempt {
    const e = this.res;
    const ex = e.live.executors.get(executorId)!;
    const a: LiveAttempt = {
      id,
      number,
      call: c,
      executorId,
      res: { cpu: c.spec.cpu, memory: c.spec.memory, disk: c.spec.ephemeralDisk, gpus },
      cpuHeld: true,
      blocking: 0,
      target: c.spec.className ? { kind: "class", name: c.spec.className } : { kind: "function", name: c.functionName },
      lastActivity: e.clock.now(),
      share,
    };
    if (!share || share.left++ === 0) {
      ex.view.used.cpu += a.res.cpu;
      ex.view.used.memory += a.res.memory;
      ex.view.used.disk += a.res.disk;
      for (const g of gpus) ex.view.gpusInUse.add(g);
    }
    e.live.attempts.set(a.id, a);
    c.req.liveAttempts.add(a.id);
    this.scheduler.started(c);
    return a;
  }

  private async launch(a: LiveAttempt): Promise<void> {
    const e = this.res;
    const c = a.call;
    const now = e.clock.now();
    const evs = await e.store.startAttempt(
      {
        id: a.id,
        callId: c.id,
        requestId: c.req.id,
        number: a.number,
        executorId: a.executorId,
        containerId: null,
        startedAt: now,
      },
      { attemptsUsed: c.attemptsUsed + 1, infraRetries: c.infraRetries },
      [startedEvent(a, now)],
      ...(e.cluster && c.spec.maxContainers !== null ? [containerLimit(c, c.spec.maxContainers)] : []),
    );
    if (evs === "full") {
      // Other servers run the function's maxContainers already: the call waits and tries again.
      this.release(a);
      c.notBefore = now + LIMIT_RETRY_MS;
      this.scheduler.enqueue(c);
      return;
    }
    if (!(await this.started(a, evs))) return;
    const assignment = await this.assignment(a);
    const link = e.live.executors.get(a.executorId)?.link;
    if (!link) return; // executor dropped meanwhile: its grace timer handles the attempt
    link.send({ t: "assign", assignment });
  }

  /** `launch` for a run: the starts in one store batch, then one message with every assignment. */
  private async launchRun(as: LiveAttempt[]): Promise<void> {
    const e = this.res;
    const now = e.clock.now();
    const results = await e.store.startAttempts(
      as.map((a) => ({
        attempt: {
          id: a.id,
          callId: a.call.id,
          requestId: a.call.req.id,
          number: a.number,
          executorId: a.executorId,
          containerId: null,
          startedAt: now,
        },
        call: { attemptsUsed: a.call.attemptsUsed + 1, infraRetries: a.call.infraRetries },
        events: [startedEvent(a, now)],
      })),
    );
    const started: LiveAttempt[] = [];
    for (let i = 0; i < as.length; i++) if (await this.started(as[i]!, results[i] ?? null)) started.push(as[i]!);
    if (!started.length) return;
    const assignments = await Promise.all(started.map((a) => this.assignment(a)));
    const link = e.live.executors.get(started[0]!.executorId)?.link;
    if (!link) return; // executor dropped meanwhile: its grace timer handles the attempts
    link.send({ t: "assign-run", assignments });
  }

  /**
   * An attempt's start was committed (`evs`) or refused (null: the call moved on, e.g. cancelled,
   * while it was placed): records it live and publishes its events, or gives its reservation back.
   */
  private async started(a: LiveAttempt, evs: RequestEvent[] | null): Promise<boolean> {
    const c = a.call;
    if (!evs) {
      this.release(a);
      return false;
    }
    // Started in the commit that created the call: its creation's events go out first.
    if (c.creating && !(await c.creating)) {
      this.release(a);
      return false;
    }
    a.stored = true;
    c.attemptsUsed += 1;
    if (c.req.status === "pending") c.req.status = "running";
    this.res.publish(c.req.id, evs);
    return true;
  }

  /** What the executor needs to run `a` (its arguments, environment and limits). */
  private async assignment(a: LiveAttempt): Promise<Assignment> {
    const e = this.res;
    const c = a.call;
    const isRoot = c.parentCallId === null;
    const argsRef = isRoot ? Payloads.reference(c.args) : null;
    const args = argsRef ? new Uint8Array(0) : await e.payloads.read(c.args);
    const env =
      c.spec.secrets.length && e.options.resolveSecrets
        ? await e.options.resolveSecrets(c.req.namespace, c.spec.secrets)
        : {};
    for (const step of c.spec.image?.steps ?? []) if (step.op === "env") env[step.key] = step.value;
    env.TRIBUTARY_MAX_STATE_BYTES = String(e.options.maxStateBytes); // the SDK's state.set limit
    return {
      attemptId: a.id,
      attemptNumber: a.number,
      callId: c.id,
      requestId: c.req.id,
      namespace: c.req.namespace,
      application: c.req.application,
      version: c.req.app.version,
      bundleKey: c.req.app.bundleKey,
      functionName: c.functionName,
      target: a.target,
      spec: c.spec,
      root: isRoot
        ? {
            contentType: c.req.inputContentType,
            inputDeserializer: c.req.app.appSpec.inputDeserializer,
            outputSerializer: c.req.app.appSpec.outputSerializer,
          }
        : null,
      args,
      ...(argsRef ? { argsRef } : {}),
      timeoutMs: c.spec.timeout * 1000,
      initTimeoutMs:
        a.target.kind === "class"
          ? (c.spec.initTimeout ?? c.spec.timeout) * 1000
          : Math.max(c.spec.timeout * 1000, CONTAINER_START_MS),
      env,
      gpus: a.res.gpus,
      headers: c.req.headers,
    };
  }

  /** Prometheus' usage counters: counted once the attempt's outcome (with its usage) is committed. */
  private countUsage(a: LiveAttempt): void {
    const { req } = a.call;
    if (a.usage) this.telemetry.usage.add(req.namespace, req.application, a.call.functionName, a.usage);
  }

  /** Gives an attempt's reservation back to its executor. */
  release(a: LiveAttempt): void {
    const e = this.res;
    if (!e.live.attempts.delete(a.id)) return;
    this.telemetry.remember(a);
    a.call.req.liveAttempts.delete(a.id);
    this.scheduler.released(a.call);
    const ex = e.live.executors.get(a.executorId);
    const share = a.share;
    if (share && --share.left > 0) {
      // The run goes on with its other items: they keep the reservation, CPU included.
      if (!share.cpuHeld && a.blocking > 0) {
        share.cpuHeld = true;
        if (ex) ex.view.used.cpu += a.res.cpu;
      }
      return;
    }
    if (ex) {
      if ((share ?? a).cpuHeld) ex.view.used.cpu -= a.res.cpu;
      ex.view.used.memory -= a.res.memory;
      ex.view.used.disk -= a.res.disk;
      for (const g of a.res.gpus) ex.view.gpusInUse.delete(g);
    }
    this.scheduler.pump();
  }

  /**
   * A call no connected executor could ever run fails fast with `constraint_unsatisfiable`. A child's
   * request fails with it too, first (so its parent is told to stop rather than retried): no retry or
   * catch in a caller can make the call placeable.
   */
  unplaceable(c: LiveCall, reason: string): void {
    void this.failUnplaceable(c, reason);
  }

  private async failUnplaceable(c: LiveCall, reason: string): Promise<void> {
    const error = plainError("ConstraintUnsatisfiableError", `${c.functionName}: ${reason}`, {
      functionName: c.functionName,
    });
    if (c.parentCallId !== null && isActive(c)) await this.requests.fail(c.req, "constraint_unsatisfiable", error);
    await this.finishCall(c, null, { ok: false, reason: "constraint_unsatisfiable", error }, "pending");
  }

  /** The executor reported an attempt's result. */
  async onDone(executorId: string, m: Done): Promise<void> {
    const a = this.res.live.attempts.get(m.attemptId);
    if (!a || a.executorId !== executorId) return; // stale or unknown: the store CAS would refuse it anyway
    a.usage = validUsage(m.usage);
    // Before the release: the pass it triggers may already batch a function now known a leaf, and
    // must no longer batch one whose run just lost its container.
    // Items given back because their request was cancelled say nothing about the function.
    if (m.ok) this.res.runs.succeeded(a.call);
    else if (m.notStarted && a.call.req.status !== "cancelled") this.res.runs.lost(a.call);
    this.release(a);
    if (this.telemetry.pending) await this.telemetry.drain();
    if (m.ok) return this.finishCall(a.call, a, { ok: true, value: m.value, contentType: m.contentType });
    const c = a.call;
    const cancelled = m.reason === "cancelled" || c.req.status === "cancelled";
    // An item of a run that never started: the call goes back to pending, no retry counted.
    if (m.notStarted && !cancelled && isActive(c)) return this.retry(a, m.reason, m.error, 0, "unstarted");
    // The executor could not get what the attempt needs from the server (its input, its bundle:
    // e.g. the server died mid-download): not the function's doing, so the policy is not used up.
    if (m.reason === "internal_error" && !cancelled && isActive(c) && infraLeft(c))
      return this.retry(a, m.reason, m.error, 0, "infra");
    const policy = effectivePolicy(c.spec.retries, c.req.app.appSpec.retries);
    const retryable =
      !cancelled &&
      m.error.retryable !== false &&
      m.reason !== "request_error" &&
      m.reason !== "constraint_unsatisfiable";
    if (retryable && c.attemptsUsed < policy.maxRetries + 1 && isActive(c)) {
      return this.retry(a, m.reason, m.error, backoffMs(policy, c.attemptsUsed), "policy");
    }
    return this.finishCall(c, a, { ok: false, reason: cancelled ? "cancelled" : m.reason, error: m.error });
  }

  /**
   * Ends a running attempt here with a failure that is not retried (the events limit): the executor
   * is told to stop it, and its late result is ignored (the attempt is no longer live).
   */
  async failNow(a: LiveAttempt, error: PlainError): Promise<void> {
    const e = this.res;
    if (!e.live.attempts.has(a.id)) return;
    e.live.executors.get(a.executorId)?.link?.send({ t: "cancel", attemptId: a.id });
    this.release(a);
    if (this.telemetry.pending) await this.telemetry.drain();
    return this.finishCall(a.call, a, { ok: false, reason: "function_error", error });
  }

  /** An attempt lost to the infrastructure: retried without using up the policy, up to a cap. */
  async infraFail(a: LiveAttempt, why: string): Promise<void> {
    if (!this.res.live.attempts.has(a.id)) return;
    this.release(a);
    const error = plainError("InternalError", `${a.call.functionName}: ${why}`, { functionName: a.call.functionName });
    if (infraLeft(a.call) && isActive(a.call)) return this.retry(a, "internal_error", error, 0, "infra");
    return this.finishCall(a.call, a, { ok: false, reason: "internal_error", error });
  }

  /**
   * Returns the call to pending after `a` failed. `policy`: the attempt counts against the retry
   * policy. `infra` and `unstarted` give it back (attempt numbers stay unique: the next is
   * `attemptsUsed + infraRetries + 1`); only `infra` counts toward `INFRA_RETRY_CAP`.
   */
  private async retry(
    a: LiveAttempt,
    reason: FailureReason,
    error: PlainError,
    delayMs: number,
    kind: "policy" | "infra" | "unstarted",
  ): Promise<void> {
    const e = this.res;
    const c = a.call;
    const now = e.clock.now();
    if (kind !== "policy") {
      c.attemptsUsed -= 1;
      c.infraRetries += 1;
    }
    if (kind === "unstarted") c.unstartedReturns = (c.unstartedReturns ?? 0) + 1;
    c.notBefore = now + delayMs;
    const evs = await e.store.finishAttempt(
      a.id,
      {
        status: "failed",
        failureReason: reason,
        error,
        finishedAt: now,
        containerId: a.containerId ?? null,
        usage: a.usage ?? null,
      },
      { status: "pending", notBefore: c.notBefore, attemptsUsed: c.attemptsUsed, infraRetries: c.infraRetries },
      null,
      [
        {
          kind: "attempt:failed",
          at: now,
          callId: c.id,
          functionName: c.functionName,
          attempt: a.number,
          data: { reason, error, retry_in_ms: delayMs, ...(kind === "unstarted" ? { not_started: true } : {}) },
        },
      ],
    );
    if (!evs) return;
    this.countUsage(a);
    e.publish(c.req.id, evs);
    this.scheduler.enqueue(c);
  }

  /**
   * Ends a call (from a running attempt, or from pending when unplaceable), ends the request when it
   * is the root, and hands the outcome to whoever waits on the call.
   *
   * With `late`, the result is that of an earlier attempt the server had given up on (late-results.ts):
   * `a`, if any, is the newer attempt it supersedes, which ends `cancelled` in the same transaction.
   */
  async finishCall(
    c: LiveCall,
    a: LiveAttempt | null,
    r: { ok: true; value: Uint8Array; contentType: string } | { ok: false; reason: FailureReason; error: PlainError },
    from: "running" | "pending" = "running",
    late: { number: number; superseded: PlainError } | null = null,
  ): Promise<void> {
    const e = this.res;
    const now = e.clock.now();
    const isRoot = c.parentCallId === null;
    const req = c.req;
    const events: NewEvent[] = [];
    let status: "succeeded" | "failed" | "cancelled";
    let reqPatch: RequestPatch | null = null;
    const result = r.ok
      ? await e.payloads.put(`results/${req.id}`, r.value, r.contentType || STRUCTURED_CONTENT_TYPE)
      : null;
    const attemptEvent = (kind: "attempt:succeeded" | "attempt:failed", attempt: number, data?: NewEvent["data"]) =>
      events.push({ kind, at: now, callId: c.id, functionName: c.functionName, attempt, ...(data ? { data } : {}) });
    if (late) {
      attemptEvent("attempt:succeeded", late.number, { late: true });
      if (a) attemptEvent("attempt:failed", a.number, { reason: "cancelled", error: late.superseded });
    }
    if (r.ok) {
      status = "succeeded";
      if (a && !late) attemptEvent("attempt:succeeded", a.number);
    } else {
      status = r.reason === "cancelled" ? "cancelled" : "failed";
      if (a && !late) attemptEvent("attempt:failed", a.number, { reason: r.reason, error: r.error });
    }
    events.push({
      kind: "call:finished",
      at: now,
      callId: c.id,
      functionName: c.functionName,
      data: { status, ...(r.ok ? {} : { reason: r.reason, error: r.error }) },
    });
    req.progress.finish(c.id, status === "succeeded");
    if (isRoot && (req.status === "pending" || req.status === "running")) {
      const failureReason = r.ok ? null : r.reason;
      reqPatch = r.ok
        ? { status: "succeeded", output: result, finishedAt: now }
        : {
            status: status,
            failureReason,
            requestError:
              r.reason === "request_error"
                ? { functionName: r.error.functionName ?? c.functionName, message: r.error.message }
                : null,
            error: r.error,
            finishedAt: now,
          };
      events.push({
        kind: "request:finished",
        at: now,
        data: {
          status: reqPatch.status,
          outcome: outcomeOf(reqPatch.status, failureReason),
          failureReason,
          error: r.ok ? null : r.error,
        },
      });
    }
    const callPatch = r.ok
      ? { status, result, finishedAt: now }
      : { status, error: r.error, failureReason: r.reason, finishedAt: now };
    const evs = a
      ? await e.store.finishAttempt(
          a.id,
          {
            status: late ? "cancelled" : r.ok ? "succeeded" : status,
            failureReason: late ? "cancelled" : r.ok ? null : r.reason,
            error: late ? late.superseded : r.ok ? null : r.error,
            finishedAt: now,
            containerId: a.containerId ?? null,
            usage: a.usage ?? null,
          },
          callPatch,
          reqPatch,
          events,
        )
      : await e.store
          .transitionCall(
            c.id,
            from,
            callPatch,
            events.filter((x) => x.kind !== "request:finished"),
          )
          .then(async (x) => {
            if (!x || !reqPatch) return x;
            const more = await e.store.finishRequest(
              req.id,
              reqPatch,
              events.filter((ev) => ev.kind === "request:finished"),
            );
            return [...x, ...(more ?? [])];
          });
    if (!evs) return;
    if (a) this.countUsage(a);
    e.live.calls.delete(c.id);
    req.pendingCalls.delete(c.id);
    // Before publishing: a waiter woken by `request:finished` reads the outcome from here.
    if (reqPatch) {
      req.status = reqPatch.status;
      req.final = reqPatch;
    }
    e.publish(req.id, evs);
    if (reqPatch) await this.requests.windDown(req);
    this.children.settle(c.id, r.ok ? { ok: true, value: r.value } : { ok: false, reason: r.reason, error: r.error });
    this.requests.maybeForget(req);
  }
}

function startedEvent(a: LiveAttempt, now: number): NewEvent {
  const c = a.call;
  return {
    kind: "attempt:started",
    at: now,
    callId: c.id,
    functionName: c.functionName,
    attempt: a.number,
    data: { executor_id: a.executorId },
  };
}

/** Whether an infrastructure fault may still retry `c` without using up its policy. */
function infraLeft(c: LiveCall): boolean {
  return c.infraRetries - (c.unstartedReturns ?? 0) < INFRA_RETRY_CAP;
}

function isActive(c: LiveCall): boolean {
  return c.req.status === "pending" || c.req.status === "running";
}
