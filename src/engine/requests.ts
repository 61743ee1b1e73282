/**
 * The request lifecycle (docs/semantics.md):
 *
 *   pending → running → succeeded | failed | cancelled
 *
 * A request is created `pending` with its root call (journaled before `invoke` resolves); it turns
 * `running` when its first attempt starts (attempts.ts); it ends when its root call ends
 * (call-end.ts, `finishCall`), when it is cancelled here, or when one of its calls can never be
 * placed (`fail`). Once it ended, `windDown` cancels its
 * pending calls and tells its running attempts to stop; its live entry is dropped when nothing of
 * it is left (`maybeForget`).
 */
import { ProgressTree } from "../core/progress-tree.js";
import { rootCallId } from "../core/durable-id.js";
import { plainError, type PlainError } from "../core/errors.js";
import { outcomeOf, type FailureReason } from "../core/status.js";
import { newRequestRow } from "../store/shared/rows.js";
import type { NewEvent, RequestRow, Payload } from "../store/types.js";
import type { Applications } from "./applications.js";
import type { Children } from "./children.js";
import { EngineError } from "./errors.js";
import { inputHash, sha256Hex } from "./input-hash.js";
import { newLiveCall, type AppVersion, type LiveRequest } from "./model.js";
import type { EngineResources } from "./resources.js";
import { requirementsOf, type Scheduler } from "./scheduler.js";
import { needsKey } from "./capabilities.js";

/** How long a cancel forwarded to the request's owner may take before this server cancels it itself. */
const CANCEL_FORWARD_MS = 5_000;

/** What a finished request's waiter needs. */
export type FinishedRequest = Pick<RequestRow, "status" | "output" | "failureReason" | "requestError" | "error">;

/**
 * An invoke's input: bytes to store, or a payload already stored (a streamed `File`) with the
 * SHA-256 of its bytes (hex), computed while it streamed.
 */
export type InvokeInput = { bytes: Uint8Array; contentType: string | null } | { payload: Payload; sha256: string };

export class Requests {
  constructor(
    private readonly res: EngineResources,
    private readonly apps: Applications,
    private readonly scheduler: Scheduler,
    private readonly children: Children,
  ) {}

  /**
   * Creates a request (journaled before this resolves) and schedules its root call. With an
   * idempotency key already used for this application: the same input returns the existing request
   * id; another input is refused with `idempotency_key_reused`. Either way nothing new is kept (the
   * input this invoke stored is deleted again).
   */
  async invoke(
    namespace: string,
    application: string,
    input: InvokeInput,
    idempotencyKey: string | null,
    headers: [string, string][] = [],
  ): Promise<{ requestId: string; created: boolean }> {
    const { store, clock, payloads } = this.res;
    const app = await this.apps.get(namespace, application);
    if (!app)
      throw new EngineError("not_found", `application '${application}' is not deployed in namespace '${namespace}'`);
    const spec = app.functions.get(application);
    if (!spec) throw new EngineError("not_found", `application '${application}' has no entry function`);
    const id = this.res.newId();
    const now = clock.now();
    const hash =
      idempotencyKey === null
        ? null
        : "payload" in input
          ? inputHash(input.payload.contentType, input.sha256)
          : inputHash(input.contentType, sha256Hex(input.bytes));
    const payload =
      "payload" in input ? input.payload : await payloads.put(`inputs/${id}`, input.bytes, input.contentType ?? "");
    const root = rootCallId(id, application);
    // In a cluster, a request is this server's from its insert when its executors can run the root
    // call (no extra write); otherwise it is left unowned for a server whose executors can.
    const cluster = this.res.cluster;
    const mine = cluster === null || this.scheduler.couldRunHere(spec, app);
    const needs = mine ? null : requirementsOf(spec, app);
    const newRequest = {
      id,
      namespace,
      application,
      version: app.version,
      input: payload.size > 0 || payload.contentType ? payload : null,
      idempotencyKey,
      inputHash: hash,
      ...(headers.length ? { headers } : {}),
      rootCallId: root,
      createdAt: now,
      ...(cluster ? { owner: mine ? cluster.serverId : null, needs: needs && needsKey(needs) } : {}),
    };
    const rootCall = {
      id: root,
      requestId: id,
      parentCallId: null,
      seq: 0,
      item: 0,
      functionName: application,
      args: payload,
      notBefore: now,
      createdAt: now,
    };
    const startEvents: NewEvent[] = [
      { kind: "request:started", at: now },
      { kind: "call:created", at: now, callId: root, parentCallId: null, functionName: application },
    ];
    if (store.appliedAtCall && idempotencyKey === null && mine) {
      // No key, so it is always created: the root call is queued at once and its first attempt's
      // start shares this commit (one commit fewer before the function runs).
      const creating = store.createRequest(newRequest, rootCall, startEvents);
      const live = this.liveRequest(newRequestRow(newRequest), app);
      const call = newLiveCall(live, root, null, application, spec, payload, now, true);
      call.creating = creating.then(
        (r) => {
          call.creating = undefined;
          this.res.publish(id, r.events);
          return true;
        },
        () => false,
      );
      this.scheduler.enqueue(call);
      try {
        await creating;
      } catch (e) {
        // Nothing was stored: forget the request (an attempt started meanwhile is released).
        this.scheduler.withdraw(call);
        this.res.live.requests.delete(id);
        throw e;
      }
      return { requestId: id, created: true };
    }
    const { request, created, events } = await store.createRequest(newRequest, rootCall, startEvents);
    if (!created) {
      if (payload.blobKey) await this.res.blobs.delete(payload.blobKey).catch(() => {});
      // A request stored before input hashes were kept has none: its key is honoured as before.
      if (request.inputHash !== null && request.inputHash !== hash) {
        throw new EngineError(
          "idempotency_key_reused",
          `Idempotency-Key '${idempotencyKey}' was already used for application '${application}' with a different input`,
          { idempotency_key: idempotencyKey },
        );
      }
      return { requestId: request.id, created: false };
    }
    if (needs) {
      this.res.publish(id, events);
      cluster?.unownedRequest(root, needs);
      return { requestId: id, created: true };
    }
    const live = this.liveRequest(request, app);
    this.res.publish(id, events);
    this.scheduler.enqueue(newLiveCall(live, root, null, application, spec, payload, now, true));
    return { requestId: id, created: true };
  }

  /** The live entry of a request, made from its row on first use. */
  liveRequest(row: RequestRow, app: AppVersion): LiveRequest {
    const requests = this.res.live.requests;
    let live = requests.get(row.id);
    if (!live) {
      live = {
        id: row.id,
        namespace: row.namespace,
        application: row.application,
        app,
        status: row.status,
        rootCallId: row.rootCallId,
        inputContentType: row.input?.contentType || null,
        headers: row.headers ?? [],
        pendingCalls: new Set(),
        liveAttempts: new Set(),
        progress: new ProgressTree(),
        // Known exactly from the first event this server publishes for it (seqs are gap-free).
        events: { count: 0, reserved: 0 },
      };
      live.progress.add(row.rootCallId, null);
      requests.set(row.id, live);
    }
    return live;
  }

  /** Drops a finished request's bookkeeping once nothing of it is live. */
  maybeForget(req: LiveRequest): void {
    if (
      req.status !== "pending" &&
      req.status !== "running" &&
      req.pendingCalls.size === 0 &&
      req.liveAttempts.size === 0
    ) {
      this.res.live.requests.delete(req.id);
    }
  }

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
        // In a cluster the store refuses a change to a request another live server owns (it did
        // not answer the forwarded cancel in time): a conflict the client may retry.
        if (this.res.cluster && (await store.liveOwner(requestId, clock.now())) !== this.res.cluster.serverId)
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
      // Another server may run it: its owner winds it down (stops running attempts).
      this.res.cluster?.finishedHere(requestId);
    }
    return true;
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
    const done = await this.waitFinished(requestId, CANCEL_FORWARD_MS);
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
        .then((evs) => {
          publish(req.id, evs);
          live.calls.delete(callId);
          this.children.settle(callId, {
            ok: false,
            reason: "cancelled",
            error: plainError("CancelledError", `request ${req.id} was ${req.status}`),
          });
        });
    });
    await Promise.all(cancels);
    for (const attemptId of req.liveAttempts) {
      const a = live.attempts.get(attemptId);
      if (a) live.executors.get(a.executorId)?.link?.send({ t: "cancel", attemptId });
    }
    this.maybeForget(req);
  }

  /**
   * Resolves with the request once it is finished, or null after `timeoutMs`. Subscribes before
   * reading the store, so a finish between the two is not missed.
   */
  waitFinished(requestId: string, timeoutMs: number): Promise<FinishedRequest | null> {
    const { store, clock } = this.res;
    return new Promise((resolve) => {
      let settled = false;
      const settle = (v: FinishedRequest | null): void => {
        if (settled) return;
        settled = true;
        unsubscribe();
        timer.cancel();
        resolve(v);
      };
      const check = (): void => {
        void store.getRequest(requestId).then(
          (r) => r && r.status !== "pending" && r.status !== "running" && settle(r),
          () => settle(null),
        );
      };
      // A request live in this process announces its finish on the bus with its outcome in memory.
      const live = this.res.live.requests.get(requestId);
      const unsubscribe = this.res.subscribe(requestId, (ev) => {
        if (ev.kind !== "request:finished") return;
        if (live?.final) settle({ output: null, failureReason: null, requestError: null, error: null, ...live.final });
        else check();
      });
      const timer = clock.setTimer(timeoutMs, () => settle(null));
      if (!live || (live.status !== "pending" && live.status !== "running")) check();
    });
  }
}
