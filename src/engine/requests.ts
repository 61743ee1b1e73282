/**
 * The request lifecycle (docs/semantics.md):
 *
 *   pending → running → succeeded | failed | cancelled
 *
 * A request is created `pending` with its root call (journaled before `invoke` resolves); it turns
 * `running` when its first attempt starts (attempts.ts); it ends when its root call ends
 * (call-end.ts, `finishCall`), when it is cancelled, or when one of its calls can never be placed
 * (request-end.ts, `cancel`, `fail`). Once it ended, `windDown` cancels its pending calls and tells
 * its running attempts to stop; its live entry is dropped when nothing of it is left
 * (request-end.ts, `maybeForget`).
 */
import { ProgressTree } from "../core/progress-tree.js";
import { rootCallId } from "../core/durable-id.js";
import { newRequestRow } from "../store/shared/rows.js";
import type { NewEvent, RequestRow, Payload } from "../store/types.js";
import type { Applications } from "./applications.js";
import { EngineError } from "./errors.js";
import { inputHash, sha256Hex } from "./input-hash.js";
import { newLiveCall, type AppVersion, type LiveRequest } from "./model.js";
import type { EngineResources } from "./resources.js";
import { requirementsOf, type Scheduler } from "./scheduler.js";
import { needsKey } from "./capabilities.js";

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
    const { request, created, events } = await store
      .createRequest(newRequest, rootCall, startEvents)
      .catch((e: unknown) => {
        // The store may hold it all the same (the connection lost after COMMIT), with nothing live
        // here to run it: the reload runs it if it is there (reload.ts). The client is told to retry.
        if (mine) this.res.writeFailed(id, e);
        throw e;
      });
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
