/**
 * What every part of the engine shares: the store, blobs, clock, ids, the event bus and the live
 * maps. Each part (scheduler, reservations, attempts, children, executors, telemetry, requests, …) is
 * constructed with this object and with the peers it calls, never with a back-pointer to the whole
 * engine, so imports inside `src/engine` point one way:
 *
 *   resources ← applications, telemetry, scheduler ← reservations, child-waiters ← map-reduce
 *             ← children, requests ← request-end ← call-end ← attempt-results ← attempts, executors
 *             ← recovery ← engine (the façade the server uses)
 *
 * Invariant: only events returned by a committed store transition are published (`publish`), so a
 * subscriber never sees what the store does not hold.
 */
import { timeOrderedId } from "../core/ids.js";
import { systemClock, type Clock } from "../core/clock.js";
import type { PlainError } from "../core/errors.js";
import type { RequestEvent } from "../core/request.js";
import type { BlobStore, Store } from "../store/types.js";
import { EventBus } from "./event-bus.js";
import { countEvents, DEFAULT_MAX_EVENTS_PER_REQUEST } from "./event-limit.js";
import type { LiveAttempt, LiveCall, LiveExecutor, LiveRequest } from "./model.js";
import type { Requirements } from "./placement.js";
import { Payloads } from "./payloads.js";
import { DEFAULT_MAX_RUN_ITEMS, RunPolicy } from "./runs.js";

/** Tuning of failure detection and the secrets hook; every field has a default. */
export interface EngineOptions {
  /** How long a disconnected executor keeps its attempts before they are rescheduled. */
  executorGraceMs?: number;
  /** After start-up, how long before "no executor can ever run this" fails a call. */
  unsatisfiableGraceMs?: number;
  /** Server-side backstop: silence past an attempt's timeout plus this margin means a wedged executor. */
  backstopMarginMs?: number;
  /** Largest state value in bytes (default 1 MiB); the SDK checks it first, the engine again. */
  maxStateBytes?: number;
  /** Events one request may journal (default 100,000; see event-limit.ts). */
  maxEventsPerRequest?: number;
  /**
   * The most calls of one function one run may hand to one container slot (runs.ts; default 64,
   * 1 to place every call alone).
   */
  maxRunItems?: number;
  /** Resolves secret names to values for a container's environment. */
  resolveSecrets?: (namespace: string, names: string[]) => Promise<Record<string, string>>;
}

/**
 * Scale-out (DESIGN.md §3): this engine is one of several servers on one store with `hints`
 * (PostgreSQL). It runs the requests it owns, claims unowned ones and those of servers whose lease
 * ran out, and follows other servers' requests through the store for its subscribers.
 */
export interface ClusterOptions {
  /** This server's id (new at every start). */
  serverId: string;
  /** How long a lease lasts without renewal: how soon survivors take a dead server's work over. */
  leaseMs: number;
  /** The fallback poll for claims and followed events, when no hint arrives (default 1000). */
  pollMs?: number;
  /** How long a dead server's row stays after its lease ran out (default 1 h; cluster-lease.ts). */
  deadServerRetentionMs?: number;
}

/** What an engine is built from: time and ids are injected so tests drive them. */
export interface EngineDeps {
  store: Store;
  blobs: BlobStore;
  clock?: Clock;
  newId?: () => string;
  options?: EngineOptions;
  /** Absent: this engine owns its store alone (SQLite, or one server). */
  cluster?: ClusterOptions;
}

/** What the cluster part offers the other parts (a port: it is built last, from them). */
export interface ClusterPort {
  readonly serverId: string;
  /**
   * A request was inserted unowned, because no executor here can run its root call `callId`
   * (requirements `r`): wakes the servers whose executors can, or, when none can, says so on the call.
   */
  unownedRequest(callId: string, r: Requirements): void;
  /** An executor connected here runs attempts this engine does not track (it failed over). */
  foreign(executorId: string, attemptIds: string[]): void;
  /** Connected executors changed: a claim pass may now find work it can run. */
  executorsChanged(): void;
  /** This server finished (cancelled) a request another server may run: tell its owner. */
  finishedHere(requestId: string): void;
  /** Asks the (live) server that runs `requestId` to cancel it. */
  cancelOnOwner(requestId: string): void;
  /**
   * No executor connected here can ever run pending call `c` (requirements `r`, missing `reason`).
   * `handed`: its request left this server, to be claimed by one whose executors can (it is no
   * longer queued, synchronously); `fail`: no server's executors can, fail it as unsatisfiable;
   * `wait`: it stays queued here, for the reason given.
   */
  unrunnable(c: LiveCall, r: Requirements, reason: string): "handed" | "fail" | { wait: string };
  /**
   * Runs `f` now while this server's lease holds; else after the renewal that tells which requests
   * are still this server's (a stalled server must not act on requests others took over).
   */
  whenHeld(f: () => void): void;
}

export type ResolvedOptions = Required<Omit<EngineOptions, "resolveSecrets">> & Pick<EngineOptions, "resolveSecrets">;

/** The live maps: the engine's in-memory view of what is pending or running in this process. */
export interface LiveMaps {
  readonly requests: Map<string, LiveRequest>;
  readonly calls: Map<string, LiveCall>;
  readonly attempts: Map<string, LiveAttempt>;
  readonly executors: Map<string, LiveExecutor>;
}

export interface EngineResources {
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  readonly newId: () => string;
  readonly bus: EventBus;
  readonly payloads: Payloads;
  readonly options: ResolvedOptions;
  /** When this engine started (the start-up grace for "unsatisfiable" is measured from here). */
  readonly startedAt: number;
  readonly live: LiveMaps;
  /** Which calls may share a run, and how many (runs.ts). */
  readonly runs: RunPolicy;
  /** Publishes events a committed transition returned; commits nothing itself. */
  publish(requestId: string, events: readonly RequestEvent[] | null | undefined): void;
  /**
   * A request's committed events as they come: from the bus when it runs here, and followed
   * through the store when another server runs it (in seq order, without duplicates).
   */
  subscribe(requestId: string, listener: (ev: RequestEvent) => void): () => void;
  /** Set when this engine is one server of a cluster (see `ClusterOptions`). */
  cluster: ClusterPort | null;
  /** Follows requests run by other servers; set with `cluster`. */
  follower: Follower | null;
  /**
   * The one failure path of a write that changes a request (an attempt's start or end, a child's
   * creation, a call's or the request's end): it did not commit (the store away, or it refused), or
   * it committed after a reload of the request had begun (stale work, stale.ts), so what is live of
   * the request may no longer match the store. The request is reloaded from the store once the
   * store answers (reload.ts); after an error of the write's own (neither the store away nor
   * `OutOfStep`), a bounded number of times, then it fails (reload-strikes.ts). `held`: an attempt
   * whose executor keeps its result unacknowledged (it is asked to re-send it), or whose failure the
   * server decided (`end`). Set by the engine.
   */
  writeFailed(requestId: string, err: unknown, held?: HeldAttempt): void;
}

/**
 * The reason of a reload after which nothing failed to be stored: the store moved on without the
 * live state (stale work committed after a reload began, stale.ts; an end the store refused, the
 * call or attempt having moved on). Reading the store is the whole remedy, so such reloads are not
 * counted as failed writes (reload-strikes.ts).
 *
 * @example res.writeFailed(req.id, new OutOfStep("a write begun before its reload ended after it"));
 */
export class OutOfStep extends Error {
  override readonly name = "OutOfStep";
}

/** An attempt whose end did not commit: its result held by its executor, or its failure decided here. */
export interface HeldAttempt {
  executorId: string;
  attemptId: string;
  /** The failure the server decided for it (the events limit), committed again after the reload. */
  end?: PlainError;
}

/** Follows events of requests run elsewhere (cluster-follower.ts), and announces this server's. */
export interface Follower {
  follow(requestId: string, listener: (ev: RequestEvent) => void): () => void;
  committed(requestId: string): void;
}

export function createResources(deps: EngineDeps): EngineResources {
  const clock = deps.clock ?? systemClock;
  const bus = new EventBus();
  const res: EngineResources = {
    store: deps.store,
    blobs: deps.blobs,
    clock,
    newId: deps.newId ?? (() => timeOrderedId(clock.now())),
    bus,
    payloads: new Payloads(deps.blobs),
    options: {
      executorGraceMs: deps.options?.executorGraceMs ?? 10_000,
      unsatisfiableGraceMs: deps.options?.unsatisfiableGraceMs ?? 3_000,
      backstopMarginMs: deps.options?.backstopMarginMs ?? 30_000,
      maxStateBytes: deps.options?.maxStateBytes ?? 1024 * 1024,
      maxEventsPerRequest: deps.options?.maxEventsPerRequest ?? DEFAULT_MAX_EVENTS_PER_REQUEST,
      maxRunItems: deps.options?.maxRunItems ?? DEFAULT_MAX_RUN_ITEMS,
      resolveSecrets: deps.options?.resolveSecrets,
    },
    startedAt: clock.now(),
    live: { requests: new Map(), calls: new Map(), attempts: new Map(), executors: new Map() },
    runs: new RunPolicy(deps.options?.maxRunItems ?? DEFAULT_MAX_RUN_ITEMS),
    publish: (requestId, events) => {
      countEvents(res.live.requests.get(requestId), events);
      bus.publish(requestId, events);
      if (events?.length) res.follower?.committed(requestId);
    },
    subscribe: (requestId, listener) => {
      const follower = res.follower;
      if (!follower || res.live.requests.has(requestId)) return bus.subscribe(requestId, listener);
      // Run elsewhere (or not yet claimed here): both sources, each event once and in order.
      let last = 0;
      const once = (ev: RequestEvent): void => {
        if (ev.seq <= last) return;
        last = ev.seq;
        listener(ev);
      };
      const offBus = bus.subscribe(requestId, once);
      const offFollow = follower.follow(requestId, once);
      return () => {
        offBus();
        offFollow();
      };
    },
    cluster: null,
    follower: null,
    writeFailed: () => {},
  };
  return res;
}
