/**
 * The executor protocol: messages between an executor and a server over one executor-initiated
 * WebSocket. Frames are binary, `v8.serialize` of an array of messages (batched per tick).
 *
 * Resumable: on reconnect the executor says `hello` again with the attempts it still holds (running,
 * or finished with a `done` not yet acknowledged) and re-sends every RPC still unanswered and every
 * unacknowledged `done`; the server answers `welcome` with the attempts to kill. Call creation is
 * idempotent (durable ids), so a re-sent `call` attaches to the same call; a re-sent `done` for an
 * attempt already finished is acknowledged and ignored.
 *
 * Executor lifecycle (server view): connected → disconnected (grace) → connected | lost.
 */
import type { PlainError } from "../errors.js";
import type { FunctionSpec } from "../options.js";
import type { MetricSample, ProgressUpdate } from "../scope.js";
import type { FailureReason } from "../status.js";
import type { AttemptUsage } from "../usage.js";
import type { ContainerTarget, RootInfo } from "./container.js";

export interface ExecutorCapacity {
  cpu: number;
  /** GB. */
  memory: number;
  /** GB. */
  disk: number;
  /** Model → count. */
  gpus: Record<string, number>;
}

/** Everything an executor needs to run one attempt. */
export interface Assignment {
  attemptId: string;
  attemptNumber: number;
  callId: string;
  requestId: string;
  namespace: string;
  application: string;
  version: number;
  bundleKey: string;
  functionName: string;
  target: ContainerTarget;
  spec: FunctionSpec;
  root: RootInfo | null;
  args: Uint8Array;
  /**
   * A large root input left in the blob store (then `args` is empty): the executor streams it to
   * disk from `GET /v1/internal/blobs/{key}` and hands the container a file, so no process holds it
   * in memory and no frame carries it.
   */
  argsRef?: { key: string; size: number } | undefined;
  timeoutMs: number;
  initTimeoutMs: number;
  /** Secrets and image env, injected into the container's environment. */
  env: Record<string, string>;
  /** GPU devices assigned (e.g. ["H100:0"]), for CUDA_VISIBLE_DEVICES. */
  gpus: string[];
  /** The invoke's headers without credentials, for `ctx.headers` (absent from older servers). */
  headers?: [string, string][] | undefined;
}

export type RpcKind = "call" | "map" | "reduce" | "state-get" | "state-set";

export type ExecutorRpc =
  | { t: "call"; attemptId: string; rpc: number; seq: number; functionName: string; args: Uint8Array }
  | { t: "map"; attemptId: string; rpc: number; seq: number; functionName: string; items: Uint8Array[] }
  | {
      t: "reduce";
      attemptId: string;
      rpc: number;
      seq: number;
      functionName: string;
      items: Uint8Array[];
      initial: Uint8Array | null;
    }
  | { t: "state-get"; attemptId: string; rpc: number; key: string }
  | { t: "state-set"; attemptId: string; rpc: number; key: string; value: Uint8Array };

export interface LogLineMsg {
  attemptId: string;
  stream: "stdout" | "stderr";
  ts: number;
  line: string;
}

export type FromExecutor =
  | {
      t: "hello";
      executorId: string;
      region: string;
      labels: Record<string, string>;
      capacity: ExecutorCapacity;
      images: string[];
      running: string[];
      /**
       * The most items this executor takes in one `assign-run` (absent or 0 from executors that
       * know only `assign`: the server then sends one attempt at a time).
       */
      runItems?: number;
    }
  | { t: "started"; attemptId: string; containerId: string; pid: number }
  | ExecutorRpc
  | { t: "progress"; attemptId: string; update: ProgressUpdate; at: number }
  | { t: "metric"; attemptId: string; sample: MetricSample; at: number }
  | { t: "logs"; lines: LogLineMsg[] }
  /** `usage`: what the attempt consumed (absent from older executors; see core/usage.ts). */
  | { t: "done"; attemptId: string; ok: true; value: Uint8Array; contentType: string; usage?: AttemptUsage }
  /**
   * `notStarted`: an item of a run that never started (its container died or stopped, or gave it
   * back): the server returns the call to pending without counting a retry (`reason`
   * `internal_error` for servers that do not know the flag).
   */
  | {
      t: "done";
      attemptId: string;
      ok: false;
      error: PlainError;
      reason: FailureReason;
      usage?: AttemptUsage;
      notStarted?: true;
    }
  | { t: "heartbeat" };

export type ToExecutor =
  | { t: "welcome"; kill: string[]; heartbeatMs: number }
  | { t: "assign"; assignment: Assignment }
  /**
   * A run: several attempts of one function (one application version, no GPUs, not roots) that
   * share one container slot. The executor runs them one after another on one container, in order;
   * each item's timer starts when the item starts. Items it could not start (the container died
   * or was stopped, or a running item started waiting on a child call) end with `internal_error`
   * and `notStarted`: the server returns their calls to pending without counting a retry, and
   * batches that function no more.
   */
  | { t: "assign-run"; assignments: Assignment[] }
  | { t: "reply"; attemptId: string; rpc: number; ok: true; value?: unknown }
  | { t: "reply"; attemptId: string; rpc: number; ok: false; error: PlainError; reason?: FailureReason | undefined }
  | { t: "cancel"; attemptId: string }
  /** The attempt's `done` is committed: the executor may forget it. */
  | { t: "ack"; attemptId: string }
  /**
   * Re-send every unanswered RPC and unacknowledged `done`, as after a hello: the server has just
   * adopted attempts it did not know at the hello (scale-out takeover). Older executors ignore it.
   */
  | { t: "resend" };

export const EXECUTOR_WS_PATH = "/v1/executors/connect";

/** What an executor's link to a server needs from the executor (see `ExecutorTransport`). */
export interface TransportHandlers {
  /** The hello message (with the attempts still held), built at each (re)connect. */
  hello: () => Extract<FromExecutor, { t: "hello" }>;
  /** Messages to re-send after each hello (unanswered RPCs, unacknowledged results). */
  resend: () => FromExecutor[];
  onMessage: (msg: ToExecutor) => void;
  onState?: (connected: boolean, server: string) => void;
  /**
   * The server refused this executor's credentials (HTTP 401/403) with this reason. The
   * transport has stopped for good: retrying with the same credentials cannot succeed.
   */
  onRefused?: (reason: string, server: string) => void;
}

/**
 * An executor's link to a server: a WebSocket to a remote server (the default), or an in-process
 * link when the executor runs inside the server's process (`tributary dev`), which skips
 * serialization and sockets but keeps the same messages and the same batching per tick.
 */
export interface ExecutorTransport {
  start(): void;
  send(msg: FromExecutor): void;
  close(): Promise<void>;
  /** Fault injection: drops the connection as a network failure would (it then reconnects). */
  drop?(): void;
}

export type ExecutorTransportFactory = (handlers: TransportHandlers) => ExecutorTransport;
