/**
 * The engine's in-memory view of what is live. The store is the truth; these objects cache what the
 * hot path needs so that starting, finishing and relaying never read the store back.
 */
import type { ProgressTree } from "../core/progress-tree.js";
import type { TimerHandle } from "../core/clock.js";
import type { Manifest } from "../core/manifest.js";
import type { ApplicationSpec, FunctionSpec } from "../core/options.js";
import type { Status } from "../core/status.js";
import type { ContainerTarget } from "../core/wire/container.js";
import type { ToExecutor } from "../core/wire/executor.js";
import type { ExecutorView } from "./placement.js";
import type { Payload, RequestPatch } from "../store/types.js";
import type { AttemptUsage } from "../core/usage.js";

/** One deployed application version, with its functions indexed by name. */
export interface AppVersion {
  namespace: string;
  name: string;
  version: number;
  manifest: Manifest;
  bundleKey: string;
  appSpec: ApplicationSpec;
  functions: Map<string, FunctionSpec>;
  /** When this process read it (for the latest-version cache). */
  loadedAt: number;
}

/** A request that is not finished (or whose calls are still winding down). */
export interface LiveRequest {
  id: string;
  namespace: string;
  application: string;
  app: AppVersion;
  status: Status;
  rootCallId: string;
  inputContentType: string | null;
  /** The invoke's headers without credentials (`ctx.headers` of every call of the request). */
  headers: [string, string][];
  /** How it finished (set before `request:finished` is published). */
  final?: RequestPatch | undefined;
  /** Calls waiting to start and attempts running, for cancellation and clean-up. */
  pendingCalls: Set<string>;
  liveAttempts: Set<string>;
  /** Progress aggregated over the call tree (as this server has seen it since it took the request). */
  progress: ProgressTree;
  /** Events journaled (highest seq published) and reserved by calls being created: the events limit. */
  events: { count: number; reserved: number };
  /**
   * Set when this live entry is dropped (cluster-forget.ts): work begun on it before is stale from
   * then on and changes no live map (stale.ts), since a reload may have rebuilt the request under
   * the same ids.
   */
  dropped?: boolean | undefined;
}

/** A call the engine knows is pending or running. */
export interface LiveCall {
  id: string;
  req: LiveRequest;
  parentCallId: string | null;
  functionName: string;
  spec: FunctionSpec;
  args: Payload;
  attemptsUsed: number;
  infraRetries: number;
  /**
   * Of `infraRetries`, the returns of items of runs that never started (`done.notStarted`): they
   * number attempts as infrastructure retries do, but never count toward `INFRA_RETRY_CAP`. Known
   * only to this server (after a restart they count toward the cap again, the safe side).
   */
  unstartedReturns?: number | undefined;
  notBefore: number;
  backoff?: TimerHandle | undefined;
  /**
   * Set while the call's creation, issued together with its first attempt's start so that both
   * share one commit (`Store.appliedAtCall`), is not yet known committed: true once it is and its
   * events are published, false when it was not created. The attempt publishes and dispatches
   * nothing before it settles, so the stream shows the creation first.
   */
  creating?: Promise<boolean> | undefined;
  /**
   * The highest child seq this call's attempts have asked for, tracked only for a call this process
   * created (so every child it has was asked for here): -1 before any. A seq above it has no child
   * in the store yet, so a new call skips the journal read (`findChildCall`). Absent (a call loaded
   * by recovery or from another server's journal, or a failed call run again): unknown, and every
   * ask reads the store.
   */
  askedSeq?: number | undefined;
}

export interface Reservation {
  cpu: number;
  memory: number;
  disk: number;
  gpus: string[];
}

/** The reservation shared by the attempts of one run (runs.ts): given back when the last one ends. */
export interface RunShare {
  /** Attempts of the run still holding it. */
  left: number;
  /** False while the running item waits on children (its CPU is released, as a lone attempt's). */
  cpuHeld: boolean;
  /**
   * Last sign of life of any of its items: the backstop measures an item that has not started
   * from here, since its own `lastActivity` is only its placement (the items ahead of it may take
   * up to their timeouts each, one after another).
   */
  lastActivity: number;
}

/** One attempt running on an executor. */
export interface LiveAttempt {
  id: string;
  number: number;
  call: LiveCall;
  executorId: string;
  res: Reservation;
  /** False while the attempt waits on children (its CPU is released so depth cannot deadlock). */
  cpuHeld: boolean;
  blocking: number;
  target: ContainerTarget;
  containerId?: string | undefined;
  /** Its row is in the store (started there, or found there by recovery): a CAS can end it. */
  stored?: boolean | undefined;
  /** Last sign of life (start, progress, RPC, reply), for the server-side backstop. */
  lastActivity: number;
  /** The executor's usage report, set when its result arrives (stored with the attempt's outcome). */
  usage?: AttemptUsage | null;
  /** Set for an item of a run (runs.ts): the reservation it shares with the run's other items. */
  share?: RunShare | undefined;
}

/** What the server's WebSocket layer gives the engine for one connected executor. */
export interface ExecutorLink {
  send(msg: ToExecutor): void;
  close(): void;
}

export interface LiveExecutor {
  view: ExecutorView;
  labels: Record<string, string>;
  link: ExecutorLink | null;
  grace: TimerHandle | null;
  /**
   * The attempts its last hello listed (what it runs, whoever started them, and those whose result
   * it holds unacknowledged), and those whose result it sent since (attempt-results.ts `accept`).
   */
  announced: Set<string>;
  /** A `resend` is queued for it (attempts adopted after its hello need their RPCs again). */
  resendDue?: boolean | undefined;
  /** The most items it takes in one run (its hello's `runItems`; 0: one attempt at a time). */
  runItems?: number | undefined;
}

/**
 * A live call that has used no attempt yet (`attemptsUsed` and `infraRetries` are set by recovery).
 * `fresh`: this process just created it, so it has no children yet (see `askedSeq`).
 */
export function newLiveCall(
  req: LiveRequest,
  id: string,
  parentCallId: string | null,
  functionName: string,
  spec: FunctionSpec,
  args: Payload,
  notBefore: number,
  fresh = false,
): LiveCall {
  const askedSeq = fresh ? -1 : undefined;
  return { id, req, parentCallId, functionName, spec, args, attemptsUsed: 0, infraRetries: 0, notBefore, askedSeq };
}

/**
 * Notes that an attempt of `parent` asks for its child at `seq`; true when no attempt asked for
 * that seq before, in a call this process created (`LiveCall.askedSeq`): then no child is stored
 * there and the journal need not be read. Items of a map or steps of a reduce share one seq: only
 * the first ask of it is known first, the others read (as a replay does).
 */
export function firstAsk(parent: LiveCall, seq: number): boolean {
  if (parent.askedSeq === undefined || seq <= parent.askedSeq) return false;
  parent.askedSeq = seq;
  return true;
}
