/**
 * What every part of the engine shares: the store, blobs, clock, ids, the event bus and the live
 * maps. Each part (scheduler, attempts, children, executors, telemetry, requests) is constructed
 * with this object and with the peers it calls, never with a back-pointer to the whole engine, so
 * imports inside `src/engine` point one way:
 *
 *   resources ← applications, telemetry, scheduler ← children ← requests ← attempts ← executors
 *             ← recovery ← engine (the façade the server uses)
 *
 * Invariant: only events returned by a committed store transition are published (`publish`), so a
 * subscriber never sees what the store does not hold.
 */
import { timeOrderedId } from "../core/ids.js";
import { systemClock, type Clock } from "../core/clock.js";
import type { RequestEvent } from "../core/request.js";
import type { BlobStore, Store } from "../store/types.js";
import { EventBus } from "./event-bus.js";
import type { LiveAttempt, LiveCall, LiveExecutor, LiveRequest } from "./model.js";
import { Payloads } from "./payloads.js";

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
  /** Resolves secret names to values for a container's environment. */
  resolveSecrets?: (namespace: string, names: string[]) => Promise<Record<string, string>>;
}

/** What an engine is built from: time and ids are injected so tests drive them. */
export interface EngineDeps {
  store: Store;
  blobs: BlobStore;
  clock?: Clock;
  newId?: () => string;
  options?: EngineOptions;
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
  /** Publishes events a committed transition returned; commits nothing itself. */
  publish(requestId: string, events: readonly RequestEvent[] | null | undefined): void;
}

export function createResources(deps: EngineDeps): EngineResources {
  const clock = deps.clock ?? systemClock;
  const bus = new EventBus();
  return {
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
      resolveSecrets: deps.options?.resolveSecrets,
    },
    startedAt: clock.now(),
    live: { requests: new Map(), calls: new Map(), attempts: new Map(), executors: new Map() },
    publish: (requestId, events) => bus.publish(requestId, events),
  };
}
