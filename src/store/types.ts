/**
 * The Store: the durable journal of applications, requests, function calls, attempts and events.
 * Written in domain transitions, never in SQL, so the engine stays adapter-agnostic. Every adapter
 * (SQLite, PostgreSQL) passes the one contract suite in `contract.ts`.
 *
 * Invariants every adapter MUST keep:
 * - Each method is one transaction. A state change and the events announcing it commit together, so
 *   the stream never shows what the store does not hold, and the reverse.
 * - Event `seq` is assigned by the store: 1, 2, 3, … per request, gap-free, in commit order.
 * - Transitions are compare-and-set on the current status (see each method); a lost race returns
 *   `false`/`null` and changes nothing.
 *
 * Lifecycles (docs/semantics.md):
 *   request:  pending → running → succeeded | failed | cancelled
 *   call:     pending → running → succeeded | failed | cancelled;  running → pending (retry, backoff
 *             in `notBefore`); failed → pending (`rerunCall`: a replayed parent asks for it again)
 *   attempt:  running → succeeded | failed | cancelled
 */
import type { PlainError } from "../core/errors.js";
import type { Manifest } from "../core/manifest.js";
import type { RequestEvent } from "../core/request.js";
import type { AttemptStatus, FailureReason, Status } from "../core/status.js";
import type { AttemptUsage } from "../core/usage.js";

/** A stored value: small ones inline, large ones in the blob store under `blobKey`. */
export interface Payload {
  contentType: string;
  size: number;
  inline: Uint8Array | null;
  blobKey: string | null;
}

export interface ApplicationRow {
  namespace: string;
  name: string;
  version: number;
  manifest: Manifest;
  bundleKey: string;
  createdAt: number;
  deletedAt: number | null;
}

export interface RequestError {
  functionName: string | null;
  message: string;
}

export interface RequestRow {
  id: string;
  namespace: string;
  application: string;
  version: number;
  status: Status;
  failureReason: FailureReason | null;
  requestError: RequestError | null;
  error: PlainError | null;
  input: Payload | null;
  output: Payload | null;
  idempotencyKey: string | null;
  /**
   * A hash of the input (content type and bytes), stored with the idempotency key so that a reuse
   * of the key with another input can be told apart; null where none was recorded.
   */
  inputHash: string | null;
  /**
   * The headers of the invoke (`[name, value]` pairs, lower-case names, without `authorization`,
   * `cookie` or `proxy-authorization`), read by its functions as `ctx.headers`. Absent when the
   * invoke had none worth keeping or predates them.
   */
  headers?: [string, string][] | undefined;
  rootCallId: string;
  createdAt: number;
  finishedAt: number | null;
}

export interface CallRow {
  /** The durable id. */
  id: string;
  requestId: string;
  parentCallId: string | null;
  /** Position in the parent attempt (0 for the root). */
  seq: number;
  /** Index within a map/reduce issued at `seq`; 0 for a plain call. */
  item: number;
  functionName: string;
  args: Payload;
  status: Status;
  /** Attempts counted against the retry policy. */
  attemptsUsed: number;
  /** Attempts lost to infrastructure faults (not counted against the policy; capped). */
  infraRetries: number;
  /** Earliest start (backoff), ms. */
  notBefore: number;
  result: Payload | null;
  error: PlainError | null;
  failureReason: FailureReason | null;
  pendingReason: string | null;
  createdAt: number;
  finishedAt: number | null;
}

export interface AttemptRow {
  id: string;
  callId: string;
  requestId: string;
  /** 1-based, over every attempt of the call. */
  number: number;
  executorId: string | null;
  containerId: string | null;
  status: AttemptStatus;
  failureReason: FailureReason | null;
  error: PlainError | null;
  startedAt: number;
  finishedAt: number | null;
  /** What the attempt consumed, as its executor reported it; null while running or when unknown. */
  usage: AttemptUsage | null;
}

export type NewEvent = Omit<RequestEvent, "seq">;

/**
 * `maxContainers` across a cluster: at most `max` running attempts of `functions` (one function, or
 * every method of one class) of one application version.
 */
export interface ContainerLimit {
  namespace: string;
  application: string;
  version: number;
  functions: string[];
  max: number;
}

export type NewRequest = Omit<
  RequestRow,
  "status" | "failureReason" | "requestError" | "error" | "output" | "finishedAt"
> & {
  /**
   * The server that will run it (scale-out, DESIGN.md §3): set when the invoking server's executors
   * can run its root call, so ownership costs no extra write; absent or null leaves it unowned, for
   * a server with executors to claim (`claimRequests`).
   */
  owner?: string | null | undefined;
  /** With no owner: the root call's requirements, so only a server that meets them claims it. */
  needs?: string | null | undefined;
};

/** The scale-out part of a Store (each adapter's servers.ts). */
export type ServerMethods = Pick<
  Store,
  | "renewServerLease"
  | "removeServer"
  | "removeDeadServers"
  | "claimRequests"
  | "claimableNeeds"
  | "notOwned"
  | "liveOwner"
  | "releaseRequests"
  | "transferRequests"
>;

/** What a lease renewal answers (`Store.renewServerLease`). */
export interface LeaseRenewal {
  /** Other servers whose lease reaches `now`, with the capabilities they published. */
  peers: { id: string; capabilities: string | null }[];
  /** This server's lease had run out (or its row was gone) before this renewal. */
  lapsed: boolean;
}

export type NewCall = Omit<
  CallRow,
  "status" | "attemptsUsed" | "infraRetries" | "result" | "error" | "failureReason" | "finishedAt" | "pendingReason"
>;

export type NewAttempt = Omit<AttemptRow, "status" | "failureReason" | "error" | "finishedAt" | "usage">;

/** One attempt's start in `Store.startAttempts`: the attempt, its call's counters and its events. */
export interface AttemptStart {
  attempt: NewAttempt;
  call: { attemptsUsed: number; infraRetries: number };
  events: NewEvent[];
}

/** Fields a transition may change on a call. */
export interface CallPatch {
  status: Status;
  attemptsUsed?: number;
  infraRetries?: number;
  notBefore?: number;
  result?: Payload | null;
  error?: PlainError | null;
  failureReason?: FailureReason | null;
  pendingReason?: string | null;
  finishedAt?: number | null;
}

export interface RequestPatch {
  status: Status;
  failureReason?: FailureReason | null;
  requestError?: RequestError | null;
  error?: PlainError | null;
  output?: Payload | null;
  finishedAt?: number | null;
}

export interface AttemptPatch {
  status: AttemptStatus;
  failureReason?: FailureReason | null;
  error?: PlainError | null;
  containerId?: string | null;
  finishedAt: number;
  /** The executor's usage report (absent or null: none, e.g. an attempt lost with its executor). */
  usage?: AttemptUsage | null;
}

export interface StateRow {
  key: string;
  value: Payload;
  updatedAt: number;
}

export interface MetricRow {
  requestId: string;
  callId: string;
  functionName: string;
  attempt: number;
  kind: "counter" | "timer";
  name: string;
  value: number;
  at: number;
}

export interface LogRow {
  requestId: string;
  attemptId: string;
  callId: string;
  functionName: string;
  stream: "stdout" | "stderr";
  ts: number;
  line: string;
}

export interface StoredLog extends LogRow {
  /** Monotonic id, for following. */
  id: number;
}

export interface ExecutorRow {
  id: string;
  region: string;
  labels: Record<string, string>;
  capacity: { cpu: number; memory: number; disk: number; gpus: Record<string, number> };
  images: string[];
  lastSeen: number;
}

export interface SecretRow {
  namespace: string;
  name: string;
  ciphertext: Uint8Array;
  updatedAt: number;
}

/**
 * An API key created through `/v1/keys`. Only the SHA-256 digest of the key is stored (hex): the
 * key itself is shown once, at creation, and cannot be recovered from the store.
 */
export interface ApiKeyRow {
  id: string;
  name: string;
  /** Namespaces the key may use; null means every namespace. */
  namespaces: string[] | null;
  /** Lower-case hex SHA-256 of the key. */
  hash: string;
  createdAt: number;
}

/**
 * A cron schedule of an application (DESIGN.md §2 Schedules). `nextFireTimeMs` is the next tick
 * (epoch ms, UTC); it only moves forward, through `claimCronTick`.
 */
export interface CronScheduleRow {
  id: string;
  namespace: string;
  application: string;
  /** Five fields, UTC; validated before it is stored. */
  cronExpression: string;
  input: Payload | null;
  enabled: boolean;
  nextFireTimeMs: number;
  lastFiredAtMs: number | null;
  createdAt: number;
}

export interface ListRequestsQuery {
  namespace: string;
  application: string;
  status?: Status | undefined;
  /** Only requests whose id starts with this (exact, case-sensitive). */
  idPrefix?: string | undefined;
  /** Only requests created at or after this time (ms since the epoch). */
  createdAfter?: number | undefined;
  /** Only requests created strictly before this time (ms since the epoch). */
  createdBefore?: number | undefined;
  /** Opaque cursor from a previous page. */
  cursor?: string | null | undefined;
  limit: number;
}

export interface Store {
  /** Creates or upgrades the schema (numbered migrations, never edited once shipped). */
  migrate(): Promise<void>;
  close(): Promise<void>;

  // ---- applications ----
  /** Adds a version (max existing version of (ns, name) + 1, starting at 1) and returns it. */
  createApplicationVersion(
    namespace: string,
    name: string,
    manifest: Manifest,
    bundleKey: string,
    now: number,
  ): Promise<number>;
  /** A version, or the latest one; deleted applications are not found unless a version is given. */
  getApplication(namespace: string, name: string, version?: number): Promise<ApplicationRow | null>;
  /** Latest version of each non-deleted application, by name. */
  listApplications(namespace: string): Promise<ApplicationRow[]>;
  /** Marks every version deleted; false if there was none. */
  deleteApplication(namespace: string, name: string, now: number): Promise<boolean>;

  // ---- requests ----
  /**
   * Inserts a pending request with its pending root call and events. With an idempotency key that
   * (namespace, application, key) already has, inserts nothing and returns the existing request
   * (with the `inputHash` it was created with) and `created: false`.
   */
  createRequest(
    request: NewRequest,
    rootCall: NewCall,
    events: NewEvent[],
  ): Promise<{ request: RequestRow; created: boolean; events: RequestEvent[] }>;
  getRequest(id: string): Promise<RequestRow | null>;
  /** Newest first. `nextCursor` is null on the last page. */
  listRequests(q: ListRequestsQuery): Promise<{ rows: RequestRow[]; nextCursor: string | null }>;
  /** Requests not yet finished (pending or running), for recovery. */
  listUnfinishedRequests(): Promise<RequestRow[]>;
  /** CAS: applies only while the request is pending or running. Null if it already finished. */
  finishRequest(id: string, patch: RequestPatch, events: NewEvent[]): Promise<RequestEvent[] | null>;
  /** Deletes a finished request with its calls, attempts, events, state, metrics and logs. */
  deleteRequest(id: string): Promise<boolean>;

  // ---- calls ----
  getCall(id: string): Promise<CallRow | null>;
  listCalls(requestId: string): Promise<CallRow[]>;
  /** The call a parent issued at (seq, item), whatever its function (for the determinism check). */
  findChildCall(parentCallId: string, seq: number, item: number): Promise<CallRow | null>;
  /** Inserts a pending call (no-op returning null if the id exists) with its events. */
  createCall(call: NewCall, events: NewEvent[]): Promise<RequestEvent[] | null>;
  /**
   * Inserts many pending calls of one request (a `map`'s items) with their events, all in one
   * transaction: either every call is new and all are inserted, or none is (null; nothing is
   * written, not even an event). Throws where `createCall` would (a taken (parent, seq, item)).
   * The events are journaled in the order given, after the calls.
   */
  createCalls(requestId: string, calls: NewCall[], events: NewEvent[]): Promise<RequestEvent[] | null>;
  /** Every pending call of unfinished requests, oldest first (the scheduler's queue on start-up). */
  listPendingCalls(): Promise<CallRow[]>;
  /**
   * CAS on the call's current status being `from`: applies `patch` and appends events. Used for
   * retries (running → pending), reruns (failed → pending), cancellation (pending → cancelled) and
   * pending reasons (pending → pending). Null when the status was not `from`.
   */
  transitionCall(id: string, from: Status, patch: CallPatch, events: NewEvent[]): Promise<RequestEvent[] | null>;

  // ---- attempts ----
  /**
   * CAS: the call must be `pending`. Inserts the running attempt, moves the call to running (with
   * `attemptsUsed`/`infraRetries` as given) and the request from pending to running, appends events.
   * Null when the call was not pending. With `limit`, checked first under a lock on its key, so
   * concurrent starts (on any server) cannot exceed it: `"full"` (and nothing changes) when `max`
   * attempts of its functions already run.
   */
  startAttempt(
    attempt: NewAttempt,
    call: { attemptsUsed: number; infraRetries: number },
    events: NewEvent[],
    limit?: ContainerLimit,
  ): Promise<RequestEvent[] | null | "full">;
  /**
   * `startAttempt` (without a limit) for several attempts at once, e.g. a run of a map's items:
   * each start is decided on its own (null where its call is no longer pending, and nothing of it
   * changes), and the answers are in the order of `starts`. Cheaper than as many `startAttempt`s:
   * one transaction, and one event-seq reservation per request.
   */
  startAttempts(starts: AttemptStart[]): Promise<(RequestEvent[] | null)[]>;
  /**
   * CAS: the attempt must be `running` (else null and nothing changes). Applies the attempt patch,
   * the call patch (a running call), the optional request patch (a request not yet finished) and the
   * events, in one transaction.
   */
  finishAttempt(
    attemptId: string,
    attempt: AttemptPatch,
    call: CallPatch,
    request: RequestPatch | null,
    events: NewEvent[],
  ): Promise<RequestEvent[] | null>;
  getAttempt(id: string): Promise<AttemptRow | null>;
  listAttempts(requestId: string): Promise<AttemptRow[]>;
  /** Running attempts, optionally of one executor (recovery, executor loss). */
  listRunningAttempts(executorId?: string): Promise<AttemptRow[]>;

  // ---- events ----
  /** Appends events (progress, …) and returns them with their seq. */
  appendEvents(requestId: string, events: NewEvent[]): Promise<RequestEvent[]>;
  /** Events with seq > afterSeq, ascending, at most `limit`. */
  listEvents(requestId: string, afterSeq: number, limit: number): Promise<RequestEvent[]>;
  /** The latest event of `kind` (e.g. the last progress update), or null. */
  lastEvent(requestId: string, kind: RequestEvent["kind"]): Promise<RequestEvent | null>;

  // ---- state, metrics, logs ----
  setState(requestId: string, key: string, value: Payload, now: number): Promise<void>;
  getState(requestId: string, key: string): Promise<Payload | null>;
  listState(requestId: string): Promise<StateRow[]>;
  addMetrics(rows: MetricRow[]): Promise<void>;
  listMetrics(requestId: string): Promise<MetricRow[]>;
  appendLogs(rows: LogRow[]): Promise<void>;
  listLogs(requestId: string, afterId: number, limit: number): Promise<StoredLog[]>;

  // ---- executors, secrets ----
  upsertExecutor(row: ExecutorRow): Promise<void>;
  listExecutors(): Promise<ExecutorRow[]>;
  removeExecutor(id: string): Promise<void>;
  putSecret(row: SecretRow): Promise<void>;
  getSecret(namespace: string, name: string): Promise<SecretRow | null>;
  listSecrets(namespace: string): Promise<{ name: string; updatedAt: number }[]>;
  deleteSecret(namespace: string, name: string): Promise<boolean>;

  // ---- API keys (hashed; see ApiKeyRow) ----
  createApiKey(row: ApiKeyRow): Promise<void>;
  /** The key whose digest is `hash`, or null (revoked or never created). */
  findApiKey(hash: string): Promise<ApiKeyRow | null>;
  /** Every key, oldest first. */
  listApiKeys(): Promise<ApiKeyRow[]>;
  /** Revokes (deletes) a key; false when there is none with that id. */
  deleteApiKey(id: string): Promise<boolean>;

  // ---- cron schedules ----
  createCronSchedule(row: CronScheduleRow): Promise<void>;
  getCronSchedule(id: string): Promise<CronScheduleRow | null>;
  /** The schedules of one application, oldest first. */
  listCronSchedules(namespace: string, application: string): Promise<CronScheduleRow[]>;
  /** Every enabled schedule, soonest `nextFireTimeMs` first (what the ticker watches). */
  listEnabledCronSchedules(): Promise<CronScheduleRow[]>;
  /** False when (namespace, application) has no schedule with that id. */
  deleteCronSchedule(namespace: string, application: string, id: string): Promise<boolean>;
  /**
   * Compare-and-set of a tick: while the schedule is enabled and its `nextFireTimeMs` is still
   * `tickMs`, sets it to `nextMs` and `lastFiredAtMs` to `tickMs`. True for exactly one caller per
   * tick, however many servers race for it.
   */
  claimCronTick(id: string, tickMs: number, nextMs: number): Promise<boolean>;

  // ---- servers: leases on unfinished requests (scale-out, DESIGN.md §3) ----
  /**
   * Inserts or renews a server's lease, valid until `leaseUntil` (ms), with what its executors can
   * run (`capabilities`, opaque to the store). Answers the other servers whose lease reaches `now`
   * and whether this server's own lease had run out before this renewal (others may have claimed
   * its requests meanwhile).
   */
  renewServerLease(
    id: string,
    startedAt: number,
    now: number,
    leaseUntil: number,
    capabilities: string | null,
  ): Promise<LeaseRenewal>;
  /** A server stopping cleanly: its row goes and its unfinished requests become unowned at once. */
  removeServer(id: string): Promise<void>;
  /**
   * Deletes the rows of servers whose lease ran out before `expiredBefore` (ms) and that own no
   * unfinished request (those are taken over first); returns their ids. Every reader treats a
   * missing row as a lease that ran out, so this changes no claim, fence or owner answer. Callers
   * running at once (several servers) each delete a given row at most once between them, and
   * none waits for another.
   */
  removeDeadServers(expiredBefore: number): Promise<string[]>;
  /**
   * Claims for `owner` up to `limit` unfinished requests, oldest first, that are unowned or whose
   * owner (another server) holds no lease reaching `now`: only among `ids` when given, else only
   * those whose `needs` is null or one of `needs`. Two concurrent claimers never get the same
   * request. A claim clears `needs`. Returns the claimed rows.
   */
  claimRequests(
    owner: string,
    now: number,
    limit: number,
    ids?: readonly string[],
    needs?: readonly string[],
  ): Promise<RequestRow[]>;
  /** The distinct `needs` of requests `owner` could claim at `now` (`claimRequests`' conditions). */
  claimableNeeds(owner: string, now: number): Promise<string[]>;
  /** Those of `ids` that `owner` no longer owns (another server claimed them, or they were given back). */
  notOwned(owner: string, ids: readonly string[]): Promise<string[]>;
  /** The server that owns request `id` while its lease reaches `now`; null when unowned or its owner is gone. */
  liveOwner(id: string, now: number): Promise<string | null>;
  /**
   * Gives back (owner cleared) those of `ids` that `owner` still holds, with `needs` (null: any
   * server may claim them).
   */
  releaseRequests(owner: string, ids: readonly string[], needs?: string | null): Promise<void>;
  /**
   * Hands those of `ids` that `from` still holds, unfinished, straight to `to` (no claim race in
   * between); returns the ids moved. `to` loads them with `claimRequests(to, …, ids)`, which
   * takes, by id, a request its caller already owns.
   */
  transferRequests(from: string, to: string, ids: readonly string[]): Promise<string[]>;

  /**
   * Wake-ups between servers sharing this store (PostgreSQL: LISTEN/NOTIFY on a channel of the
   * schema). A hint, never the truth: a lost one costs latency, as the readers also poll. Absent
   * where one process owns the store (SQLite).
   */
  readonly hints?: HintChannel | undefined;

  /**
   * True when every write applies its statements when it is called, in call order, on one
   * connection (SQLite): a write issued later sees what an earlier one wrote even before the
   * earlier one's promise settles, and a write's promise settles only after a commit that covers
   * every earlier write. The engine then issues a call's creation and its first attempt's start
   * together, so both share one commit; it still publishes and dispatches only after that commit.
   */
  readonly appliedAtCall?: boolean | undefined;
}

/** See `Store.hints`. Payloads are short strings (at most ~7,000 bytes). */
export interface HintChannel {
  publish(payload: string): Promise<void>;
  /** Calls `onHint` for every payload published by any server (this one included); returns stop. */
  listen(onHint: (payload: string) => void): Promise<() => Promise<void>>;
}

/**
 * Blob store for inputs, outputs, large state values and code bundles. Keys are relative paths of
 * `[A-Za-z0-9._/-]` segments, never `..`.
 */
export interface BlobStore {
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** Streams a (possibly multi-GB) body to `key`; resolves to its size in bytes. */
  putStream(key: string, body: AsyncIterable<Uint8Array>, maxBytes?: number): Promise<number>;
  /** Throws when missing. */
  get(key: string): Promise<Uint8Array>;
  getStream(key: string): AsyncIterable<Uint8Array>;
  delete(key: string): Promise<void>;
  /** A local path for the blob when the store is a directory (containers may read it directly). */
  localPath?(key: string): string;
}
