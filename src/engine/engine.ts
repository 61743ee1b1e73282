/**
 * The engine: the request, call and attempt state machines of docs/semantics.md over a Store, and the
 * narrow façade the server uses. Everything else in `src/engine` is private to the folder.
 *
 * Request: pending → running → succeeded | failed | cancelled          (requests.ts, request-end.ts)
 * Call:    pending → running → succeeded | failed | cancelled          (attempts.ts, call-end.ts, children.ts)
 *          (running → pending on a retry: attempt-results.ts)
 * Attempt: running → succeeded | failed | cancelled                    (attempts.ts, attempt-results.ts)
 * Executor: connected → disconnected (grace) → connected | lost        (executors.ts)
 *
 * It never sleeps on a hot path: work is triggered by events (invoke, a result, a freed executor, a
 * backoff timer) and coalesced into one scheduling pass per microtask. Time and ids are injected.
 *
 * Wiring: each part is constructed with the shared resources and the peers it calls. The scheduler
 * is built first and reaches the attempts and call-end parts through its `Placer` port, bound here.
 */
import type { Manifest } from "../core/manifest.js";
import type { RequestEvent } from "../core/request.js";
import type { FromExecutor } from "../core/wire/executor.js";
import type { Payload, RequestPatch } from "../store/types.js";
import { Applications } from "./applications.js";
import { AttemptResults } from "./attempt-results.js";
import { Attempts } from "./attempts.js";
import { CallEnd } from "./call-end.js";
import { Children } from "./children.js";
import { Executors } from "./executors.js";
import type { MetricSeries } from "./metric-totals.js";
import type { UsageSeries } from "./usage-totals.js";
import type { ExecutorLink } from "./model.js";
import { Cluster } from "./cluster.js";
import { ClusterHints } from "./cluster-hints.js";
import { recover, type RecoveryParts } from "./recovery.js";
import { Reloads } from "./reload.js";
import { RequestEnd } from "./request-end.js";
import { Requests, type FinishedRequest, type InvokeInput } from "./requests.js";
import { Reservations } from "./reservations.js";
import { createResources, type ClusterOptions, type EngineDeps, type EngineResources } from "./resources.js";
import { Scheduler } from "./scheduler.js";
import { Telemetry } from "./telemetry.js";

type Hello = Extract<FromExecutor, { t: "hello" }>;

/** A deployed application version as the server sees it. */
export interface DeployedApplication {
  readonly version: number;
  readonly manifest: Manifest;
}

/** How a request ended, as committed (the request row's outcome fields). */
export type FinalOutcome = RequestPatch;

/** A point-in-time view of what this engine holds live, for `GET /metrics`. */
export interface EngineMetrics {
  liveRequests: number;
  liveCalls: number;
  runningAttempts: number;
  executors: { id: string; connected: boolean; cpuUsed: number; labels: Record<string, string> }[];
  /** Users' counters and timers since this server started, and samples dropped past the series cap. */
  userMetrics: { series: readonly MetricSeries[]; dropped: number };
  /** Attempts' usage per function since this server started. */
  usage: readonly UsageSeries[];
}

/**
 * What the server may ask of the engine. Domain failures are thrown as `EngineError` with a code;
 * the server maps codes to HTTP statuses.
 */
export interface Engine {
  /** Stores the bundle and adds a version of every application in the manifest. */
  /** `context`: the build context of the bundle's images (core/build-context.ts), if any. */
  deploy(
    namespace: string,
    manifest: Manifest,
    bundle: Uint8Array,
    context?: Uint8Array | null,
  ): Promise<{ name: string; version: number }[]>;
  /** Soft-deletes every version of an application; false if there was none. */
  deleteApplication(namespace: string, name: string): Promise<boolean>;
  /** The latest version of an application, or null when none is deployed. */
  application(namespace: string, name: string): Promise<DeployedApplication | null>;
  /** Creates a request (journaled before this resolves) and schedules its root call. */
  invoke(
    namespace: string,
    application: string,
    input: InvokeInput,
    idempotencyKey: string | null,
    headers?: [string, string][],
  ): Promise<{ requestId: string; created: boolean }>;
  /** Cancels a request; false if it had already finished. */
  cancel(requestId: string): Promise<boolean>;
  /** The finished request, or null after `timeoutMs`. */
  waitFinished(requestId: string, timeoutMs: number): Promise<FinishedRequest | null>;
  /** Why each of a request's pending calls waits (only calls that wait for a known reason). */
  pendingReasons(requestId: string): Map<string, string>;
  /** The bytes of a stored payload (input, output, state value). */
  readPayload(p: Payload): Promise<Uint8Array>;
  /** Live events of a request as they are committed; returns the unsubscribe function. */
  subscribe(requestId: string, listener: (ev: RequestEvent) => void): () => void;
  /**
   * Like `subscribe`, after first replaying from memory every event after `afterSeq`; null when
   * memory does not hold them all (the request did not start here, finished, or has too many
   * events), and then the caller reads the history from the store and uses `subscribe`.
   */
  subscribeFrom(requestId: string, afterSeq: number, listener: (ev: RequestEvent) => void): (() => void) | null;
  /**
   * The outcome of a request that finished in this engine, while it is still held in memory (as
   * committed with its `request:finished` event); null otherwise (read the store).
   */
  finalOutcome(requestId: string): FinalOutcome | null;
  /** An executor said hello on `link`. */
  connectExecutor(link: ExecutorLink, hello: Hello): void;
  /** A message from a connected executor. */
  executorMessage(executorId: string, m: FromExecutor): void;
  /** `link` of an executor closed; its attempts wait out the grace. */
  disconnectExecutor(executorId: string, link: ExecutorLink): void;
  metrics(): EngineMetrics;
  /** The engine's clock. */
  now(): number;
  /** Loads unfinished work after a (re)start and starts the backstop sweep. */
  recover(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Builds an engine over a store and a blob store.
 *
 * @example
 * const engine = createEngine({ store, blobs, clock: createFakeClock() });
 * await engine.recover();
 * const { requestId } = await engine.invoke("default", "greet", { bytes: new Uint8Array(), contentType: null }, null);
 * await engine.stop();
 */
export function createEngine(deps: EngineDeps): Engine {
  return new EngineCore(createResources(deps), deps.cluster);
}

class EngineCore implements Engine {
  private readonly apps: Applications;
  private readonly scheduler: Scheduler;
  private readonly telemetry: Telemetry;
  private readonly children: Children;
  private readonly requests: Requests;
  private readonly requestEnd: RequestEnd;
  private readonly reservations: Reservations;
  private readonly calls: CallEnd;
  private readonly results: AttemptResults;
  private readonly attempts: Attempts;
  private readonly executors: Executors;
  private readonly parts: RecoveryParts;
  private readonly reloads: Reloads;
  private readonly cluster: Cluster | null = null;
  private stopped = false;
  private sweeper: { cancel(): void } | null = null;

  constructor(
    private readonly res: EngineResources,
    clusterOptions?: ClusterOptions,
  ) {
    this.apps = new Applications(res);
    this.telemetry = new Telemetry(res);
    this.scheduler = new Scheduler(res, {
      start: (c, executorId, gpus) => this.attempts.start(c, executorId, gpus),
      startRun: (calls, executorId) => this.attempts.startRun(calls, executorId),
      unplaceable: (c, reason) => this.calls.unplaceable(c, reason),
    });
    this.reservations = new Reservations(res, this.scheduler, this.telemetry);
    this.children = new Children(res, this.scheduler, this.reservations);
    this.requests = new Requests(res, this.apps, this.scheduler);
    this.requestEnd = new RequestEnd(res, this.scheduler, this.children, this.requests);
    this.calls = new CallEnd(res, this.children, this.requestEnd, this.telemetry);
    this.results = new AttemptResults(res, this.scheduler, this.reservations, this.calls, this.telemetry);
    this.attempts = new Attempts(res, this.scheduler, this.reservations, this.results);
    this.executors = new Executors(
      res,
      this.scheduler,
      this.reservations,
      this.results,
      this.calls,
      this.children,
      this.telemetry,
    );
    this.parts = {
      res,
      apps: this.apps,
      requests: this.requests,
      requestEnd: this.requestEnd,
      scheduler: this.scheduler,
      executors: this.executors,
      reservations: this.reservations,
      children: this.children,
    };
    this.reloads = new Reloads(this.parts, this.results);
    res.writeFailed = (requestId, err, held) => this.reloads.request(requestId, err, held);
    const channel = res.store.hints;
    if (clusterOptions && channel) {
      const hints = new ClusterHints(
        res.store,
        channel,
        clusterOptions.serverId,
        () => this.cluster?.onWorkHint(),
        (id) => this.cluster?.onFinishedElsewhere(id),
        (id) => this.cluster?.onCancelAsked(id),
        (to, ids) => this.cluster?.onHandOverAsked(to, ids),
        (id) => res.live.requests.has(id),
      );
      this.cluster = new Cluster(this.parts, hints, clusterOptions);
      res.follower = hints;
      res.cluster = this.cluster;
    }
  }

  deploy(
    namespace: string,
    manifest: Manifest,
    bundle: Uint8Array,
    context: Uint8Array | null = null,
  ): Promise<{ name: string; version: number }[]> {
    return this.apps.deploy(namespace, manifest, bundle, context);
  }

  deleteApplication(namespace: string, name: string): Promise<boolean> {
    return this.apps.delete(namespace, name);
  }

  application(namespace: string, name: string): Promise<DeployedApplication | null> {
    return this.apps.get(namespace, name);
  }

  invoke(
    namespace: string,
    application: string,
    input: InvokeInput,
    idempotencyKey: string | null,
    headers?: [string, string][],
  ): Promise<{ requestId: string; created: boolean }> {
    return this.requests.invoke(namespace, application, input, idempotencyKey, headers);
  }

  cancel(requestId: string): Promise<boolean> {
    return this.requestEnd.cancel(requestId);
  }

  waitFinished(requestId: string, timeoutMs: number): Promise<FinishedRequest | null> {
    return this.requests.waitFinished(requestId, timeoutMs);
  }

  pendingReasons(requestId: string): Map<string, string> {
    const reasons = new Map<string, string>();
    for (const id of this.res.live.requests.get(requestId)?.pendingCalls ?? []) {
      const reason = this.scheduler.reasonOf(id);
      if (reason) reasons.set(id, reason);
    }
    return reasons;
  }

  readPayload(p: Payload): Promise<Uint8Array> {
    return this.res.payloads.read(p);
  }

  subscribe(requestId: string, listener: (ev: RequestEvent) => void): () => void {
    return this.res.subscribe(requestId, listener);
  }

  subscribeFrom(requestId: string, afterSeq: number, listener: (ev: RequestEvent) => void): (() => void) | null {
    // In a cluster, a request this server does not run gets its events from the follower only.
    if (this.res.follower && !this.res.live.requests.has(requestId)) return null;
    return this.res.bus.subscribeFrom(requestId, afterSeq, listener);
  }

  finalOutcome(requestId: string): FinalOutcome | null {
    return this.res.live.requests.get(requestId)?.final ?? null;
  }

  connectExecutor(link: ExecutorLink, hello: Hello): void {
    this.executors.connected(link, hello);
  }

  executorMessage(executorId: string, m: FromExecutor): void {
    this.executors.onMessage(executorId, m);
  }

  disconnectExecutor(executorId: string, link: ExecutorLink): void {
    this.executors.disconnected(executorId, link);
  }

  metrics(): EngineMetrics {
    const { live } = this.res;
    return {
      liveRequests: live.requests.size,
      liveCalls: live.calls.size,
      runningAttempts: live.attempts.size,
      executors: [...live.executors.values()].map((x) => ({
        id: x.view.id,
        connected: x.link !== null,
        cpuUsed: x.view.used.cpu,
        labels: x.labels,
      })),
      userMetrics: { series: this.telemetry.totals.series(), dropped: this.telemetry.totals.dropped },
      usage: this.telemetry.usage.series(),
    };
  }

  now(): number {
    return this.res.clock.now();
  }

  async recover(): Promise<void> {
    // In a cluster, what this server runs comes from claims (a dead server's work included).
    if (this.cluster) await this.cluster.start();
    else await recover(this.parts);
    this.scheduleSweep();
  }

  private scheduleSweep(): void {
    if (this.stopped) return;
    const margin = this.res.options.backstopMarginMs;
    this.sweeper = this.res.clock.setTimer(Math.min(5_000, margin), () => {
      this.executors.sweep(margin);
      this.scheduleSweep();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.sweeper?.cancel();
    const reloading = this.reloads.stop();
    this.scheduler.stop();
    this.telemetry.flushNow();
    for (const e of this.res.live.executors.values()) {
      e.grace?.cancel();
      e.link?.close();
    }
    await this.telemetry.drain();
    await reloading;
    await this.cluster?.stop();
  }
}
