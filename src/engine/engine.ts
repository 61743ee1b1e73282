/**
 * The engine: the request and call state machines of docs/semantics.md over a Store.
 *
 * Request: pending → running → succeeded | failed | cancelled
 * Call:    pending → running → succeeded | failed | cancelled (running → pending on a retry)
 * Attempt: running → succeeded | failed | cancelled
 *
 * It never sleeps on a hot path: work is triggered by events (invoke, a result, a freed executor, a
 * backoff timer) and coalesced into one scheduling pass per tick. Time and ids are injected.
 */
import { timeOrderedId } from "../core/ids.js";
import { systemClock, type Clock } from "../core/clock.js";
import { rootCallId } from "../core/durable-id.js";
import type { Manifest } from "../core/manifest.js";
import type { RequestEvent } from "../core/request.js";
import type { FunctionSpec } from "../core/options.js";
import type { BlobStore, NewEvent, Payload, RequestRow, Store } from "../store/types.js";
import { EventBus } from "./event-bus.js";
import type { AppVersion, LiveAttempt, LiveCall, LiveExecutor, LiveRequest } from "./model.js";
import { Payloads } from "./payloads.js";
import { Scheduler } from "./scheduler.js";
import { Attempts } from "./attempts.js";
import { Children } from "./children.js";
import { Executors } from "./executors.js";
import { Telemetry } from "./telemetry.js";

/** How long this server trusts its cached "latest version" of an application. */
const LATEST_TTL_MS = 2_000;

export interface EngineOptions {
  /** How long a disconnected executor keeps its attempts before they are rescheduled. */
  executorGraceMs?: number;
  /** After start-up, how long before "no executor can ever run this" fails a call. */
  unsatisfiableGraceMs?: number;
  /** Server-side backstop: silence past an attempt's timeout plus this margin means a wedged executor. */
  backstopMarginMs?: number;
  /** Resolves secret names to values for a container's environment. */
  resolveSecrets?: (namespace: string, names: string[]) => Promise<Record<string, string>>;
}

export interface EngineDeps {
  store: Store;
  blobs: BlobStore;
  clock?: Clock;
  newId?: () => string;
  options?: EngineOptions;
}

/** A request could not be created: the reason is the HTTP status to answer. */
export class EngineError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 413,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** What a finished request's waiter needs. */
export type FinishedRequest = Pick<RequestRow, "status" | "output" | "failureReason" | "requestError" | "error">;

export class Engine {
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  readonly newId: () => string;
  readonly bus = new EventBus();
  readonly payloads: Payloads;
  readonly options: Required<Omit<EngineOptions, "resolveSecrets">> & Pick<EngineOptions, "resolveSecrets">;
  readonly startedAt: number;

  readonly requests = new Map<string, LiveRequest>();
  readonly calls = new Map<string, LiveCall>();
  readonly attempts = new Map<string, LiveAttempt>();
  readonly executors = new Map<string, LiveExecutor>();
  private readonly apps = new Map<string, AppVersion>();
  /** Latest version per `ns/name` (invalidated by deploy and delete in this process). */
  private readonly latest = new Map<string, AppVersion>();

  readonly scheduler: Scheduler;
  readonly attemptsPart: Attempts;
  readonly children: Children;
  readonly executorsPart: Executors;
  readonly telemetry: Telemetry;
  private stopped = false;
  private sweeper: { cancel(): void } | null = null;

  constructor(deps: EngineDeps) {
    this.store = deps.store;
    this.blobs = deps.blobs;
    this.clock = deps.clock ?? systemClock;
    this.newId = deps.newId ?? (() => timeOrderedId(this.clock.now()));
    this.payloads = new Payloads(deps.blobs);
    this.options = {
      executorGraceMs: deps.options?.executorGraceMs ?? 10_000,
      unsatisfiableGraceMs: deps.options?.unsatisfiableGraceMs ?? 3_000,
      backstopMarginMs: deps.options?.backstopMarginMs ?? 30_000,
      resolveSecrets: deps.options?.resolveSecrets,
    };
    this.startedAt = this.clock.now();
    this.scheduler = new Scheduler(this);
    this.attemptsPart = new Attempts(this);
    this.children = new Children(this);
    this.executorsPart = new Executors(this);
    this.telemetry = new Telemetry(this);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Commits nothing itself: publishes events a committed transition returned. */
  publish(requestId: string, events: RequestEvent[] | null | undefined): void {
    this.bus.publish(requestId, events);
  }

  // ---- applications ----

  /** Stores the bundle and adds a version of every application in the manifest. */
  async deploy(namespace: string, manifest: Manifest, bundle: Uint8Array): Promise<{ name: string; version: number }[]> {
    const bundleKey = `bundles/${namespace}/${this.newId()}`;
    await this.blobs.put(bundleKey, bundle);
    const out: { name: string; version: number }[] = [];
    for (const app of manifest.applications) {
      const version = await this.store.createApplicationVersion(namespace, app.name, manifest, bundleKey, this.clock.now());
      this.latest.delete(`${namespace}/${app.name}`);
      out.push({ name: app.name, version });
    }
    return out;
  }

  /** Soft-deletes every version of an application; false if there was none. */
  async deleteApplication(namespace: string, name: string): Promise<boolean> {
    this.latest.delete(`${namespace}/${name}`);
    return this.store.deleteApplication(namespace, name, this.clock.now());
  }

  /**
   * An application version (cached; versions are immutable), or the latest one. The latest is cached
   * too: a deploy or delete through another server shows here after `LATEST_TTL_MS` at most.
   */
  async app(namespace: string, name: string, version?: number): Promise<AppVersion | null> {
    if (version !== undefined) {
      const cached = this.apps.get(`${namespace}/${name}@${version}`);
      if (cached) return cached;
    } else {
      const l = this.latest.get(`${namespace}/${name}`);
      if (l && this.clock.now() - l.loadedAt < LATEST_TTL_MS) return l;
    }
    const row = await this.store.getApplication(namespace, name, version);
    if (!row) return null;
    const key = `${namespace}/${name}@${row.version}`;
    const cached = this.apps.get(key);
    if (cached) {
      if (version === undefined) this.latest.set(`${namespace}/${name}`, { ...cached, loadedAt: this.clock.now() });
      return cached;
    }
    const entry = row.manifest.applications.find((a) => a.name === name);
    if (!entry) return null;
    const app: AppVersion = {
      namespace,
      name,
      version: row.version,
      manifest: row.manifest,
      bundleKey: row.bundleKey,
      appSpec: entry.spec,
      functions: new Map(row.manifest.functions.map((f) => [f.name, f])),
      loadedAt: this.clock.now(),
    };
    this.apps.set(key, app);
    if (version === undefined) this.latest.set(`${namespace}/${name}`, app);
    return app;
  }

  // ---- requests ----

  /**
   * Creates a request (journaled before this resolves) and schedules its root call. With an
   * idempotency key already used for this application, returns the existing request id.
   */
  async invoke(
    namespace: string,
    application: string,
    input: { bytes: Uint8Array; contentType: string | null } | { payload: Payload },
    idempotencyKey: string | null,
  ): Promise<{ requestId: string; created: boolean }> {
    const app = await this.app(namespace, application);
    if (!app) throw new EngineError(404, "not_found", `application '${application}' is not deployed in namespace '${namespace}'`);
    const spec = app.functions.get(application);
    if (!spec) throw new EngineError(404, "not_found", `application '${application}' has no entry function`);
    const id = this.newId();
    const now = this.clock.now();
    const payload =
      "payload" in input ? input.payload : await this.payloads.put(`inputs/${id}`, input.bytes, input.contentType ?? "");
    const root = rootCallId(id, application);
    const { request, created, events } = await this.store.createRequest(
      { id, namespace, application, version: app.version, input: payload.size > 0 || payload.contentType ? payload : null, idempotencyKey, rootCallId: root, createdAt: now },
      { id: root, requestId: id, parentCallId: null, seq: 0, item: 0, functionName: application, args: payload, notBefore: now, createdAt: now },
      [
        { kind: "request:started", at: now },
        { kind: "call:created", at: now, callId: root, parentCallId: null, functionName: application },
      ],
    );
    if (!created) return { requestId: request.id, created: false };
    const live = this.liveRequest(request, app);
    this.publish(id, events);
    this.scheduler.enqueue(this.newLiveCall(live, root, null, application, spec, payload, now));
    return { requestId: id, created: true };
  }

  liveRequest(row: RequestRow, app: AppVersion): LiveRequest {
    let live = this.requests.get(row.id);
    if (!live) {
      live = {
        id: row.id,
        namespace: row.namespace,
        application: row.application,
        app,
        status: row.status,
        rootCallId: row.rootCallId,
        inputContentType: row.input?.contentType || null,
        pendingCalls: new Set(),
        liveAttempts: new Set(),
      };
      this.requests.set(row.id, live);
    }
    return live;
  }

  newLiveCall(req: LiveRequest, id: string, parentCallId: string | null, functionName: string, spec: FunctionSpec, args: Payload, notBefore: number): LiveCall {
    const c: LiveCall = { id, req, parentCallId, functionName, spec, args, attemptsUsed: 0, infraRetries: 0, notBefore };
    return c;
  }

  /** Drops a finished request's bookkeeping once nothing of it is live. */
  maybeForget(req: LiveRequest): void {
    if (req.status !== "pending" && req.status !== "running" && req.pendingCalls.size === 0 && req.liveAttempts.size === 0) {
      this.requests.delete(req.id);
    }
  }

  /**
   * Cancels a request: it ends `cancelled` now; running calls see `ctx.signal` aborted and their
   * containers are killed after a grace; pending calls never start. False if it already finished.
   */
  async cancel(requestId: string): Promise<boolean> {
    const row = await this.store.getRequest(requestId);
    if (!row) throw new EngineError(404, "not_found", `request '${requestId}' not found`);
    const now = this.clock.now();
    const outcome = { status: "cancelled" as const, outcome: { failure: "cancelled" as const }, failureReason: "cancelled" as const };
    const evs = await this.store.finishRequest(
      requestId,
      { status: "cancelled", failureReason: "cancelled", finishedAt: now },
      [{ kind: "request:finished", at: now, data: outcome }],
    );
    if (!evs) return false;
    const live = this.requests.get(requestId);
    if (live) {
      live.status = "cancelled";
      live.final = { status: "cancelled", failureReason: "cancelled", finishedAt: now };
    }
    this.publish(requestId, evs);
    if (live) {
      await this.windDown(live);
    } else {
      // Not live in this process (e.g. before recovery finished): cancel pending rows directly.
      for (const c of await this.store.listCalls(requestId)) {
        if (c.status === "pending") this.publish(requestId, await this.store.transitionCall(c.id, "pending", { status: "cancelled", failureReason: "cancelled", finishedAt: now }, [{ kind: "call:finished", at: now, callId: c.id, functionName: c.functionName, data: { status: "cancelled", reason: "cancelled" } }]));
      }
    }
    return true;
  }

  /** After a request finished: pending calls are cancelled, running attempts are told to stop. */
  async windDown(req: LiveRequest): Promise<void> {
    const now = this.clock.now();
    for (const callId of [...req.pendingCalls]) {
      const c = this.calls.get(callId);
      this.scheduler.remove(callId);
      req.pendingCalls.delete(callId);
      const evs = await this.store.transitionCall(callId, "pending", { status: "cancelled", failureReason: "cancelled", finishedAt: now }, [
        { kind: "call:finished", at: now, callId, functionName: c?.functionName ?? "", data: { status: "cancelled", reason: "cancelled" } },
      ]);
      this.publish(req.id, evs);
      this.calls.delete(callId);
      this.children.settle(callId, { ok: false, reason: "cancelled", error: { name: "CancelledError", message: `request ${req.id} was ${req.status}`, retryable: false } });
    }
    for (const attemptId of req.liveAttempts) {
      const a = this.attempts.get(attemptId);
      if (a) this.executors.get(a.executorId)?.link?.send({ t: "cancel", attemptId });
    }
    this.maybeForget(req);
  }

  /**
   * Resolves with the request once it is finished, or null after `timeoutMs`. Subscribes before
   * reading the store, so a finish between the two is not missed.
   */
  waitFinished(requestId: string, timeoutMs: number): Promise<FinishedRequest | null> {
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
        void this.store.getRequest(requestId).then(
          (r) => r && r.status !== "pending" && r.status !== "running" && settle(r),
          () => settle(null),
        );
      };
      // A request live in this process announces its finish on the bus with its outcome in memory.
      const live = this.requests.get(requestId);
      const unsubscribe = this.bus.subscribe(requestId, (ev) => {
        if (ev.kind !== "request:finished") return;
        if (live?.final) settle({ output: null, failureReason: null, requestError: null, error: null, ...live.final });
        else check();
      });
      const timer = this.clock.setTimer(timeoutMs, () => settle(null));
      if (!live || (live.status !== "pending" && live.status !== "running")) check();
    });
  }

  /** Appends events that change no state (progress). */
  async appendEvents(requestId: string, events: NewEvent[]): Promise<void> {
    this.publish(requestId, await this.store.appendEvents(requestId, events));
  }

  /** Loads unfinished work after a (re)start: pending calls are queued, running attempts wait for their executors. */
  async recover(): Promise<void> {
    await this.attemptsPart.recover();
    this.scheduleSweep();
  }

  private scheduleSweep(): void {
    if (this.stopped) return;
    this.sweeper = this.clock.setTimer(Math.min(5_000, this.options.backstopMarginMs), () => {
      this.executorsPart.sweep(this.options.backstopMarginMs);
      this.scheduleSweep();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.sweeper?.cancel();
    this.scheduler.stop();
    this.telemetry.flushNow();
    for (const e of this.executors.values()) {
      e.grace?.cancel();
      e.link?.close();
    }
    await this.telemetry.drain();
  }
}
