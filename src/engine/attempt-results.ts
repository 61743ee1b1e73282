/**
 * An attempt's end and the retry decision (docs/semantics.md): what the executor reported, or what
 * the server decided (the events limit, an infrastructure fault), becomes a retry of the call or
 * its end (call-end.ts).
 *
 * Attempt: running → succeeded | failed | cancelled
 * Call:    running → pending (`retry`, after the backoff or at once for an infrastructure fault)
 *
 * An attempt fails when the function throws, times out, or its container dies; while attempts remain
 * it is retried after the backoff. `RequestError` and non-determinism are never retried. Faults that
 * are not the function's doing (executor lost, server restart) retry without using up the policy, up
 * to `INFRA_RETRY_CAP`.
 *
 * Invariants:
 * - the attempt's reservation is given back (`release`) before its outcome is committed, so the next
 *   scheduling pass can use it;
 * - its buffered telemetry is committed (`drain`) before its call ends, so progress events precede
 *   `call:finished` (telemetry.ts);
 * - an attempt whose result arrived counts as announced by its executor (which holds the result
 *   until it is acknowledged, and lists it in its next hello): a reload that reads its row still
 *   running while the result's commit is on its way adopts it rather than giving it up and running
 *   its call again (reload.ts);
 * - an end or retry committed after the request was dropped changes nothing live (stale.ts).
 */
import { plainError, type PlainError } from "../core/errors.js";
import { backoffMs, effectivePolicy, INFRA_RETRY_CAP } from "../core/retry.js";
import type { FailureReason } from "../core/status.js";
import { validUsage } from "../core/usage.js";
import type { FromExecutor } from "../core/wire/executor.js";
import { isActive, type CallEnd } from "./call-end.js";
import type { LiveAttempt, LiveCall } from "./model.js";
import type { Reservations } from "./reservations.js";
import { OutOfStep, type EngineResources } from "./resources.js";
import type { Scheduler } from "./scheduler.js";
import { stale } from "./stale.js";
import type { Telemetry } from "./telemetry.js";

type Done = Extract<FromExecutor, { t: "done" }>;

/**
 * What became of a reported result: `committed` (the attempt's outcome is stored), `ignored` (not a
 * live attempt of that executor here: nothing changed), `refused` (the attempt left the live maps but
 * the store refused its end: the call or attempt had moved on there, so what is live no longer
 * matches the store).
 */
type ResultUse = "committed" | "ignored" | "refused";

export class AttemptResults {
  constructor(
    private readonly res: EngineResources,
    private readonly scheduler: Scheduler,
    private readonly reservations: Reservations,
    private readonly calls: CallEnd,
    private readonly telemetry: Telemetry,
  ) {}

  /** What became of an attempt's result its executor reported. */
  private async onDone(executorId: string, m: Done): Promise<ResultUse> {
    const a = this.res.live.attempts.get(m.attemptId);
    if (!a || a.executorId !== executorId) return "ignored"; // stale or unknown: the store CAS would refuse it anyway
    return (await this.use(a, m)) ? "committed" : "refused";
  }

  /**
   * `onDone` with its failure path, for a result the executor keeps until it is acknowledged: true
   * when it may be (committed, or not this executor's live attempt). A commit that fails or is
   * refused reloads request `requestId` holding the result, which its executor is asked to re-send.
   */
  async accept(executorId: string, m: Done, requestId: string): Promise<boolean> {
    const held = { executorId, attemptId: m.attemptId };
    // Announced while its executor holds it (see the file comment); no longer once acknowledged.
    const announced = this.res.live.executors.get(executorId)?.announced;
    announced?.add(m.attemptId);
    const use = await this.onDone(executorId, m).catch((err: unknown) => {
      this.res.writeFailed(requestId, err, held);
      return "failed" as const;
    });
    if (use === "refused") this.res.writeFailed(requestId, new OutOfStep("the store refused the attempt's end"), held);
    const ack = use === "committed" || use === "ignored";
    if (ack) announced?.delete(m.attemptId);
    return ack;
  }

  /** `onDone` for a live attempt: true once its outcome is committed. */
  private async use(a: LiveAttempt, m: Done): Promise<boolean> {
    a.usage = validUsage(m.usage);
    // Before the release: the pass it triggers may already batch a function now known a leaf, and
    // must no longer batch one whose run just lost its container.
    // Items given back because their request was cancelled say nothing about the function.
    if (m.ok) this.res.runs.succeeded(a.call);
    else if (m.notStarted && a.call.req.status !== "cancelled") this.res.runs.lost(a.call);
    this.reservations.release(a);
    if (this.telemetry.pending) await this.telemetry.drain();
    if (m.ok) return this.calls.finishCall(a.call, a, { ok: true, value: m.value, contentType: m.contentType });
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
    return this.calls.finishCall(c, a, { ok: false, reason: cancelled ? "cancelled" : m.reason, error: m.error });
  }

  /**
   * Ends a running attempt here with a failure that is not retried (the events limit): the executor
   * is told to stop it, and its late result is ignored (the attempt is no longer live).
   */
  async failNow(a: LiveAttempt, error: PlainError): Promise<void> {
    const e = this.res;
    if (e.live.attempts.get(a.id) !== a) return;
    giveUp(e, a);
    this.reservations.release(a);
    await this.decided(
      a,
      async () => {
        if (this.telemetry.pending) await this.telemetry.drain();
        await this.calls.finishCall(a.call, a, { ok: false, reason: "function_error", error });
      },
      error,
    );
  }

  /** An attempt lost to the infrastructure: retried without using up the policy, up to a cap. */
  async infraFail(a: LiveAttempt, why: string): Promise<void> {
    if (this.res.live.attempts.get(a.id) !== a) return; // ended, or stale (stale.ts)
    this.reservations.release(a);
    const error = plainError("InternalError", `${a.call.functionName}: ${why}`, { functionName: a.call.functionName });
    await this.decided(a, async () => {
      if (infraLeft(a.call) && isActive(a.call)) await this.retry(a, "internal_error", error, 0, "infra");
      else await this.calls.finishCall(a.call, a, { ok: false, reason: "internal_error", error });
    });
  }

  /**
   * Commits an attempt's end the server decided (its callers do not wait): one that fails leaves the
   * attempt released and its row running, so the request is reloaded once the store answers, and
   * the attempt is then adopted or given up as after a restart (reload.ts). With `end`, a failure
   * nothing after the reload would decide again (the events limit, reached by a progress update
   * that is not sent again): the reload commits it again.
   */
  private async decided(a: LiveAttempt, commit: () => Promise<void>, end?: PlainError): Promise<void> {
    await commit().catch((err: unknown) =>
      this.res.writeFailed(a.call.req.id, err, end ? { executorId: a.executorId, attemptId: a.id, end } : undefined),
    );
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
  ): Promise<boolean> {
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
    if (!evs) return false;
    this.telemetry.countUsage(a);
    e.publish(c.req.id, evs);
    if (!stale(e, c.req, true)) this.scheduler.enqueue(c);
    return true;
  }
}

/** Whether an infrastructure fault may still retry `c` without using up its policy. */
function infraLeft(c: LiveCall): boolean {
  return c.infraRetries - (c.unstartedReturns ?? 0) < INFRA_RETRY_CAP;
}

/**
 * Tells `a`'s executor to stop an attempt this server gives up (its end is decided here, not by
 * the executor), and forgets that the executor announced it: should the decision fail to commit,
 * the reload then retries the attempt instead of adopting it and taking its "cancelled" end for a
 * cancellation of the call (reload.ts).
 */
export function giveUp(e: EngineResources, a: LiveAttempt): void {
  const ex = e.live.executors.get(a.executorId);
  ex?.announced.delete(a.id);
  ex?.link?.send({ t: "cancel", attemptId: a.id });
}
