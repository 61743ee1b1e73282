/**
 * The bridge between user code and whatever runs it (`runLocal`, or a container). A function object
 * called inside a request finds the current scope here and hands the call to its runtime; outside any
 * request it runs its handler in-process.
 *
 * Invariant: the storage lives on `globalThis` under a `Symbol.for` key, so the SDK copy bundled into
 * user code and the host's copy share one scope.
 */
import { AsyncLocalStorage } from "node:async_hooks";

/** A validated progress update. */
export interface ProgressUpdate {
  current: number;
  total: number;
  message?: string | undefined;
  attributes?: Record<string, string> | undefined;
}

/** A validated metric sample. */
export interface MetricSample {
  kind: "counter" | "timer";
  name: string;
  value: number;
}

/** Where request-context operations go; values are already validated and encoded. */
export interface ContextBackend {
  readonly requestId: string;
  readonly functionName: string;
  readonly callId: string;
  readonly signal: AbortSignal;
  /** The invoke's headers (`ctx.headers`); credentials are removed again by the SDK. Absent: none. */
  readonly headers?: readonly (readonly [string, string])[] | undefined;
  stateGet(key: string): Promise<Uint8Array | undefined>;
  stateSet(key: string, value: Uint8Array): Promise<void>;
  progress(update: ProgressUpdate): Promise<void>;
  metric(sample: MetricSample): Promise<void>;
  /** Epoch ms at which this attempt times out unless it reports progress; null while it waits on a child. */
  readonly deadline: number | null;
  /**
   * Runs `handler` once per timer cycle, `beforeMs` ahead of the deadline (validated by the SDK;
   * undefined means the default for this function's timeout). Returns the unsubscribe function.
   */
  onDeadline(handler: () => void | Promise<void>, beforeMs: number | undefined): () => void;
}

/** Runs function calls made from user code; arguments are still live values here. */
export interface CallRuntime {
  call(functionName: string, args: unknown[]): Promise<unknown>;
  map(functionName: string, items: unknown[]): Promise<unknown[]>;
  reduce(functionName: string, items: unknown[], initial: { present: boolean; value?: unknown }): Promise<unknown>;
}

export interface Scope {
  runtime: CallRuntime;
  context: ContextBackend;
}

const KEY = Symbol.for("tributary.scope.v1");
type Holder = { [KEY]?: AsyncLocalStorage<Scope> };

/** The process-wide scope storage. */
export function scopeStorage(): AsyncLocalStorage<Scope> {
  const g = globalThis as Holder;
  return (g[KEY] ??= new AsyncLocalStorage<Scope>());
}

/** The scope of the running call, if any. */
export function currentScope(): Scope | undefined {
  return scopeStorage().getStore();
}
