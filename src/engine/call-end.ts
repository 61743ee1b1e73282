/**
 * A call's end: from a running attempt (its outcome), or from pending when no executor could ever
 * run it (`unplaceable`). One store transition commits the call's end, the attempt's and, for a
 * root call, the request's; then the call leaves the live maps and whoever waits on it is told.
 *
 * Call: running → succeeded | failed | cancelled (`finishCall`)
 *       pending → failed (`unplaceable`: constraint_unsatisfiable)
 *
 * Invariants:
 * - the call leaves the live maps only once the store committed its end; a refused transition (the
 *   call moved on meanwhile) leaves it where it is;
 * - the request's outcome is set live before its events are published: a waiter woken by
 *   `request:finished` reads the outcome from the live request;
 * - an end committed after its request was dropped (stale.ts) changes nothing live: its events are
 *   published and the request is reloaded again, which reads the end from the store.
 */
import { STRUCTURED_CONTENT_TYPE } from "../core/codec.js";
import { plainError, type PlainError } from "../core/errors.js";
import { outcomeOf, type FailureReason } from "../core/status.js";
import type { NewEvent, RequestPatch } from "../store/types.js";
import type { Children } from "./children.js";
import type { LiveAttempt, LiveCall } from "./model.js";
import type { RequestEnd } from "./request-end.js";
import type { EngineResources } from "./resources.js";
import { stale } from "./stale.js";
import type { Telemetry } from "./telemetry.js";

/** Whether `c`'s request still runs (so a retry or a request failure still makes sense). */
export function isActive(c: LiveCall): boolean {
  return c.req.status === "pending" || c.req.status === "running";
}

export class CallEnd {
  constructor(
    private readonly res: EngineResources,
    private readonly children: Children,
    private readonly requestEnd: RequestEnd,
    private readonly telemetry: Telemetry,
  ) {}

  /**
   * A call no connected executor could ever run fails fast with `constraint_unsatisfiable`. A child's
   * request fails with it too, first (so its parent is told to stop rather than retried): no retry or
   * catch in a caller can make the call placeable.
   */
  unplaceable(c: LiveCall, reason: string): void {
    // Not committed (the store away): the call is off the queue, so the request is reloaded, which
    // queues it again if it is still pending there (and it fails then).
    void this.failUnplaceable(c, reason).catch((err: unknown) => this.res.writeFailed(c.req.id, err));
  }

  private async failUnplaceable(c: LiveCall, reason: string): Promise<void> {
    const error = plainError("ConstraintUnsatisfiableError", `${c.functionName}: ${reason}`, {
      functionName: c.functionName,
    });
    if (c.parentCallId !== null && isActive(c)) await this.requestEnd.fail(c.req, "constraint_unsatisfiable", error);
    await this.finishCall(c, null, { ok: false, reason: "constraint_unsatisfiable", error }, "pending");
  }

  /**
   * Ends a call (from a running attempt, or from pending when unplaceable), ends the request when it
   * is the root, and hands the outcome to whoever waits on the call.
   *
   * With `late`, the result is that of an earlier attempt the server had given up on (late-results.ts):
   * `a`, if any, is the newer attempt it supersedes, which ends `cancelled` in the same transaction.
   *
   * True once the end is committed; false when the store refused it (the call or attempt moved on).
   */
  async finishCall(
    c: LiveCall,
    a: LiveAttempt | null,
    r: { ok: true; value: Uint8Array; contentType: string } | { ok: false; reason: FailureReason; error: PlainError },
    from: "running" | "pending" = "running",
    late: { number: number; superseded: PlainError } | null = null,
  ): Promise<boolean> {
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
    if (!evs) return false;
    if (a) this.telemetry.countUsage(a);
    if (stale(e, req, true)) {
      e.publish(req.id, evs);
      return true;
    }
    e.live.calls.delete(c.id);
    req.pendingCalls.delete(c.id);
    // Before publishing: a waiter woken by `request:finished` reads the outcome from here.
    if (reqPatch) {
      req.status = reqPatch.status;
      req.final = reqPatch;
    }
    e.publish(req.id, evs);
    if (reqPatch) await this.requestEnd.windDown(req);
    if (stale(e, req)) return true; // dropped during the wind-down: the reload read the end
    this.children.settle(c.id, r.ok ? { ok: true, value: r.value } : { ok: false, reason: r.reason, error: r.error });
    this.requestEnd.maybeForget(req);
    return true;
  }
}
