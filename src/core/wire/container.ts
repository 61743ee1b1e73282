/**
 * The container protocol: messages between an executor and one container process, sent over the
 * child-process channel with `serialization: "advanced"` (structured clone, so bytes stay bytes).
 *
 * Container lifecycle: starting → (init) → ready → busy ⇄ ready → exited. A container serves one
 * call at a time; `run` is only sent to a ready container.
 *
 * Runs (the server's `assign-run`): `runs` hands a ready container several calls at once, which it
 * runs one after another, each answered by its own `done` as soon as it ends. The executor starts
 * an item's timer when the previous item's `done` comes. Before an item of a run makes a blocking
 * call (call, map, reduce), the container gives back the items still queued behind it (`dropped`,
 * sent before the call): nothing waits behind a call that waits. An `abort` of a queued item
 * removes it. While a run goes on, the first write of each item to stdout and to stderr is
 * preceded by a line `LOG_MARK + attemptId`, so the executor attributes every line to its item
 * although the container no longer waits for the executor between items.
 */
import type { PlainError } from "../errors.js";
import type { Serializer } from "../codec.js";
import type { MetricSample, ProgressUpdate } from "../scope.js";
import type { FailureReason } from "../status.js";

/** How the root call of a request reads its input and writes its output. */
export interface RootInfo {
  contentType: string | null;
  inputDeserializer: Serializer;
  outputSerializer: Serializer;
}

/** What a container hosts: one function, or every method of one class (one instance). */
export type ContainerTarget = { kind: "function"; name: string } | { kind: "class"; name: string };

/** The line prefix that names the item of a run whose output follows on that stream. */
export const LOG_MARK = "\u001etributary-item ";

export type RunMessage = Extract<ToContainer, { t: "run" }>;

export type ToContainer =
  | { t: "init"; bundlePath: string; target: ContainerTarget }
  | { t: "runs"; runs: RunMessage[] }
  | {
      t: "run";
      attemptId: string;
      requestId: string;
      callId: string;
      functionName: string;
      /** The attempt's timeout; the container mirrors the executor's timer for `ctx.deadline`. */
      timeoutMs: number;
      /** Null for a call between functions; set for a request's root call. */
      root: RootInfo | null;
      /** Root: the raw input body. Others: an argument list (`encodeArgs`). */
      args: Uint8Array;
      /** Root only: the input is this file (as the container sees its path), and `args` is empty. */
      argsFile?: { path: string; size: number } | undefined;
      /** The invoke's headers without credentials (`ctx.headers`). */
      headers?: [string, string][] | undefined;
    }
  | { t: "reply"; id: number; ok: true; value?: unknown }
  | { t: "reply"; id: number; ok: false; error: PlainError; reason?: FailureReason | undefined }
  | { t: "abort"; attemptId: string; reason: "timeout" | "cancelled" };

export type FromContainer =
  /** Node is up and the entry loaded: the init timeout (user code only) starts now. */
  | { t: "booted" }
  | { t: "ready"; pid: number }
  | { t: "init-failed"; error: PlainError }
  /** Queued items of a run given back unstarted (sent before the blocking call that caused it). */
  | { t: "dropped"; attemptIds: string[] }
  | { t: "call"; id: number; attemptId: string; seq: number; functionName: string; args: Uint8Array }
  /** `items`: one argument list per item. */
  | { t: "map"; id: number; attemptId: string; seq: number; functionName: string; items: Uint8Array[] }
  /** `items` and `initial`: encoded values (`encodeStructured`). */
  | {
      t: "reduce";
      id: number;
      attemptId: string;
      seq: number;
      functionName: string;
      items: Uint8Array[];
      initial: Uint8Array | null;
    }
  | { t: "state-get"; id: number; attemptId: string; key: string }
  | { t: "state-set"; id: number; attemptId: string; key: string; value: Uint8Array }
  | { t: "progress"; attemptId: string; update: ProgressUpdate }
  | { t: "metric"; attemptId: string; sample: MetricSample }
  /**
   * `rss`: the container's resident memory as it finished, for the executor's limit check.
   * `cpuMicros`: the container process's own CPU time (user + system, every thread) since the run
   * began, plus that of the child processes it reaped meanwhile.
   */
  | { t: "done"; attemptId: string; ok: true; value: Uint8Array; contentType: string; rss?: number; cpuMicros?: number }
  | {
      t: "done";
      attemptId: string;
      ok: false;
      error: PlainError;
      reason: FailureReason;
      rss?: number;
      cpuMicros?: number;
    };

export type ContainerRpc = Extract<FromContainer, { id: number }>;
