/**
 * A request's end other than by its root call (call-end.ts): cancelled (by a client, or by its
 * owner in a cluster), or failed from below its root; then, however it ended, its wind-down:
 * pending calls cancelled, running attempts told to stop, and its live entry dropped once nothing of
 * it is live.
 *
 * Invariants:
 * - before `request:finished` is published, the live request's status and outcome (`final`) are
 *   set: a waiter woken by it reads the outcome from here;
 * - in a cluster, a request another live server runs is cancelled by that server (asked by a
 *   hint), so its events stay in the order its owner publishes them; this server cancels it itself
 *   only when nobody runs it, or the owner did not answer within {@link CANCEL_FORWARD_MS};
 * - a wind-down issues every cancel in one turn, so they share one group commit;
 * - the live entry is dropped only once the request ended and no call of it is pending and no
 *   attempt of it live (`maybeForget`), and only the entry that is live: a reload may have rebuilt
 *   the request since the work that ends it began (stale.ts), and a failure or a cancel committed
 *   after that reload changes nothing live (the request is reloaded again, which reads it).
 */
import { plainError, type PlainError } from "../core/errors.js";
import { outcomeOf, type FailureReason } from "../core/status.js";
import type { RequestRow } from "../store/types.js";
import type { Children } from "./children.js";
import { EngineError } from "./errors.js";
import type { LiveRequest } from "./model.js";
import type { Requests } from "./requests.js";
import type { EngineResources } from "./resources.js";
import type { Scheduler } from "./scheduler.js";
import { stale } from "./stale.js";

/** How long a cancel forwarded to the request's owner may take before this server cancels it itself. */
const CANCEL_FORWARD_MS = 5_000;

export class RequestEnd {
  constructor(
    private readonly res: EngineResources,
    private readonly scheduler: Scheduler,
    private readonly children: Children,
    private readonly requests: Requests,
  ) {}

  /**
   * Cancels a request: it ends `cancelled` now; running calls see `ctx.signal` aborted and their
   * containers are killed after a grace; pending calls never start. False if it already finished.
   */
  async cancel(requestId: string): Promise<boolean> {
    const { store, clock, publish } = this.res;
    const row = await store.getRequest(requestId);
    if (!row) throw new EngineError("not_found", `request '${requestId}' not found`);
    const now = clock.now();
    const forwarded = await this.cancelOnOwner(requestId, row.status);
    if (forwarded !== null) return forwarded;
    const outcome = {
      status: "cancelled" as const,
      outcome: { failure: "cancelled" as const },
      failureReason: "cancelled" as const,
    };
    const evs = await store
      .finishRequest(requestId, { status: "cancelled", failureReason: "cancelled", finishedAt: now }, [
        { kind: "request:finished", at: now, data: outcome },
      ])
      .catch(async (e: unknown) => {
        // The store may hold the cancel all the same (the connection lost after COMMIT): a request
        // running here is reloaded, and winds down if it did (reload.ts). Asked first, as the
        // owner's read below fails too while the store is away.
        if (this.res.live.requests.has(requestId)) this.res.writeFailed(requestId, e);
        // In a cluster the store refuses a change to a request another live server owns (it did
        // not answer the forwarded cancel in time): a conflict the client may retry. No live owner
        // (null) or the owner unknown (the read failed): the store's own error stands.
        const cluster = this.res.cluster;
        const owner = cluster ? await store.liveOwner(requestId, clock.now()).catch(() => undefined) : undefined;
        if (cluster && owner !== undefined && owner !== null && owner !== cluster.serverId)
          throw new EngineError(
            "conflict",
            `request '${requestId}' runs on another server, which did not answer the cancel in time; retry`,
          );
        throw e;
      });
    if (!evs) return false;
    const live = this.res.live.requests.get(requestId);
    if (live) {
      live.status = "cancelled";
      live.final = { status: "cancelled", failureReason: "cancelled", finishedAt: now };
    }
    publish(requestId, evs);
    if (live) {
      await this.windDown(live);
    } else {
      // Not live in this process (e.g. before recovery finished): cancel pending rows directly.
      await this.cancelPendingRows(requestId);
      // Another server may run it: its owner winds it down (stops running attempts).
      this.res.cluster?.finishedHere(requestId);
    }
    return true;
  }

  /**
   * Cancels in the store the pending calls of a finished request that is not live here: before
   * recovery loaded it, or after a reload found it finished with calls whose cancel did not commit.
   */
  async cancelPendingRows(requestId: string): Promise<void> {
    const { store, clock, publish } = this.res;
    const now = clock.now();
    for (const c of await store.listCalls(requestId)) {
      if (c.status !== "pending") continue;
      const finished = {
        kind: "call:finished" as const,
        at: now,
        callId: c.id,
        functionName: c.functionName,
        data: { status: "cancelled", reason: "cancelled" },
      };
      publish(
        requestId,
        await store.transitionCall(
          c.id,
          "pending",
          { status: "cancelled", failureReason: "cancelled", finishedAt: now },
          [finished],
        ),
      );
    }
  }

  /**
   * In a cluster, a request another live server runs is cancelled by that server (asked by a hint),
   * so its events stay in the order its owner publishes them; this waits for the outcome. Null when
   * this server must cancel it itself: it runs it, nobody does, or the owner did not answer in time.
   */
  private async cancelOnOwner(requestId: string, status: RequestRow["status"]): Promise<boolean | null> {
    const cluster = this.res.cluster;
    if (!cluster || this.res.live.requests.has(requestId) || (status !== "pending" && status !== "running"))
      return null;
    const owner = await this.res.store.liveOwner(requestId, this.res.clock.now());
    if (owner === null || owner === cluster.serverId) return null;
    cluster.cancelOnOwner(requestId);
    const done = await this.requests.waitFinished(requestId, CANCEL_FORWARD_MS);
    return done ? done.status === "cancelled" : null;
  }

  /**
   * A request running here was finished by another server (a cancel there): its outcome is read
   * from the store and it winds down as if it had finished here.
   */
  async finishedElsewhere(requestId: string): Promise<void> {
    const live = this.res.live.requests.get(requestId);
    const row = await this.res.store.getRequest(requestId);
    if (!live || !row || row.status === "pending" || row.status === "running" || live.final) return;
    live.status = row.status;
    live.final = {
      status: row.status,
      failureReason: row.failureReason,
      requestError: row.requestError,
      error: row.error,
      output: row.output,
      finishedAt: row.finishedAt,
    };
    await this.windDown(live);
  }

  /**
   * Fails a live request from below its root, with `reason` and `error` as its outcome, and winds it
   * down. For a failure no caller can mend (a call no executor can ever run): retrying or catching
   * in a parent would only ask for the same impossible placement again. False if it already ended.
   */
  async fail(req: LiveRequest, reason: FailureReason, error: PlainError): Promise<boolean> {
    const { store, clock, publish } = this.res;
    const now = clock.now();
    const patch = { status: "failed" as const, failureReason: reason, error, finishedAt: now };
    const evs = await store.finishRequest(req.id, patch, [
      {
        kind: "request:finished",
        at: now,
        data: { status: "failed", outcome: outcomeOf("failed", reason), failureReason: reason, error },
      },
    ]);
    if (!evs) return false;
    if (stale(this.res, req, true)) {
      publish(req.id, evs);
      return true;
    }
    // Before publishing: a waiter woken by `request:finished` reads the outcome from here.
    req.status = "failed";
    req.final = patch;
    publish(req.id, evs);
    await this.windDown(req);
    return true;
  }

  /** After a request finished: pending calls are cancelled, running attempts are told to stop. */
  async windDown(req: LiveRequest): Promise<void> {
    const { store, clock, publish, live } = this.res;
    const now = clock.now();
    // Every cancel is issued in this turn, so they share one group commit: a map ended with 10,000
    // pending items is one transaction, not 10,000 in a row.
    const cancels = [...req.pendingCalls].map((callId) => {
      const c = live.calls.get(callId);
      // Out of the live maps whether or not the cancel commits: the request is over here either way.
      const forget = (): void => {
        live.calls.delete(callId);
        this.children.settle(callId, {
          ok: false,
          reason: "cancelled",
          error: plainError("CancelledError", `request ${req.id} was ${req.status}`),
        });
      };
      this.scheduler.remove(callId);
      req.pendingCalls.delete(callId);
      return store
        .transitionCall(callId, "pending", { status: "cancelled", failureReason: "cancelled", finishedAt: now }, [
          {
            kind: "call:finished",
            at: now,
            callId,
            functionName: c?.functionName ?? "",
            data: { status: "cancelled", reason: "cancelled" },
          },
        ])
        .then(
          (evs) => {
            publish(req.id, evs);
            if (!stale(this.res, req, true)) forget();
          },
          // Not committed (the store away): the reload finds the request finished and cancels the
          // calls still pending in the store (reload.ts). The running attempts are stopped below.
          (err: unknown) => {
            if (!stale(this.res, req)) forget();
            this.res.writeFailed(req.id, err);
          },
        );
    });
    await Promise.all(cancels);
    for (const attemptId of req.liveAttempts) {
      const a = live.attempts.get(attemptId);
      if (a) live.executors.get(a.executorId)?.link?.send({ t: "cancel", attemptId });
    }
    this.maybeForget(req);
  }

  /** Drops a finished request's bookkeeping once nothing of it is live. */
  maybeForget(req: LiveRequest): void {
    if (
      this.res.live.requests.get(req.id) === req &&
      req.status !== "pending" &&
      req.status !== "running" &&
      req.pendingCalls.size === 0 &&
      req.liveAttempts.size === 0
    ) {
      this.res.live.requests.delete(req.id);
    }
  }
}
