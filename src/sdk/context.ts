/**
 * `RequestContext`: the request a call belongs to, its durable state, progress and metrics.
 *
 * Invariant: every argument is validated synchronously, before anything is sent or recorded, and a
 * bad one raises `SDKUsageError` at the call site. The methods that validate are deliberately not
 * `async`, so the error is thrown even when the caller forgets to `await`.
 */
import { decodeStructured, encodeStructured } from "../core/codec.js";
import { readonlyHeaders } from "../core/request-headers.js";
import { SDKUsageError, SerializationError } from "../core/errors.js";
import { describe } from "../core/options.js";
import { currentScope, type ContextBackend, type ProgressUpdate } from "../core/scope.js";

/** Largest state key in UTF-8 bytes. */
export const MAX_STATE_KEY_BYTES = 1024;

/** Largest encoded state value in bytes (`TRIBUTARY_MAX_STATE_BYTES` overrides; default 1 MiB). */
export function maxStateValueBytes(): number {
  const env = Number(process.env.TRIBUTARY_MAX_STATE_BYTES);
  return Number.isFinite(env) && env > 0 ? env : 1024 * 1024;
}

function swallow(p: Promise<void>): Promise<void> {
  // Keeps an un-awaited rejection from crashing the process; the awaiting caller still sees it.
  p.catch(() => {});
  return p;
}

/** Durable key/value state shared by every call of one request. */
export class RequestState {
  constructor(private readonly backend: ContextBackend) {}
  /**
   * Stores `value` under `key` (last write wins).
   * @example await ctx.state.set("user_data", { name: "Ada" });
   */
  set(key: string, value: unknown): Promise<void> {
    checkKey(key);
    let bytes: Uint8Array;
    try {
      bytes = encodeStructured(value, `state value for '${key}'`);
    } catch (e) {
      if (e instanceof SerializationError) throw new SDKUsageError(e.message);
      throw e;
    }
    const limit = maxStateValueBytes();
    if (bytes.byteLength > limit) {
      throw new SDKUsageError(
        `state value for '${key}' is ${bytes.byteLength} bytes, more than the limit of ${limit} bytes`,
      );
    }
    return swallow(this.backend.stateSet(key, bytes));
  }
  /**
   * Reads `key`; `defaultValue` (or undefined) when it was never set.
   * @example const data = await ctx.state.get("user_data", {});
   */
  get<T = unknown>(key: string, defaultValue?: T): Promise<T | undefined> {
    checkKey(key);
    return this.backend
      .stateGet(key)
      .then((bytes) => (bytes === undefined ? defaultValue : (decodeStructured(bytes, `state '${key}'`) as T)));
  }
}

function checkKey(key: unknown): asserts key is string {
  if (typeof key !== "string" || key.length === 0)
    throw new SDKUsageError(`state key must be a non-empty string, got ${describe(key)}`);
  if (Buffer.byteLength(key, "utf8") > MAX_STATE_KEY_BYTES)
    throw new SDKUsageError(`state key is longer than ${MAX_STATE_KEY_BYTES} bytes`);
}

/** Progress updates: streamed to clients; each one resets the call's timeout. */
export class RequestProgress {
  constructor(private readonly backend: ContextBackend) {}
  /**
   * Reports `current` of `total` steps.
   * @example await ctx.progress.update(i + 1, items.length, "Processing item", { stage: "ocr" });
   */
  update(
    current: number,
    total: number,
    message?: string | null,
    attributes?: Record<string, string> | null,
  ): Promise<void> {
    return swallow(this.backend.progress(validateProgress(current, total, message, attributes)));
  }
}

/** Validates progress arguments (docs/semantics.md) into an update. */
export function validateProgress(
  current: unknown,
  total: unknown,
  message?: unknown,
  attributes?: unknown,
): ProgressUpdate {
  for (const [n, v] of [
    ["current", current],
    ["total", total],
  ] as const) {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      throw new SDKUsageError(`progress '${n}' must be a finite number >= 0, got ${describe(v)}`);
    }
  }
  if (message !== undefined && message !== null && typeof message !== "string") {
    throw new SDKUsageError(`progress 'message' must be a string, got ${describe(message)}`);
  }
  let attrs: Record<string, string> | undefined;
  if (attributes !== undefined && attributes !== null) {
    if (
      typeof attributes !== "object" ||
      Array.isArray(attributes) ||
      (Object.getPrototypeOf(attributes) !== Object.prototype && Object.getPrototypeOf(attributes) !== null)
    ) {
      throw new SDKUsageError(
        `progress 'attributes' must be an object of string keys to string values, got ${describe(attributes)}`,
      );
    }
    attrs = {};
    for (const [k, v] of Object.entries(attributes)) {
      if (typeof v !== "string")
        throw new SDKUsageError(`progress 'attributes' value for key '${k}' must be a string, got ${describe(v)}`);
      attrs[k] = v;
    }
  }
  return {
    current: current as number,
    total: total as number,
    message: (message ?? undefined) as string | undefined,
    attributes: attrs,
  };
}

/** Per-request metrics: counters and timers. */
export class RequestMetrics {
  constructor(private readonly backend: ContextBackend) {}
  /**
   * Adds `value` (a safe integer, default 1) to counter `name`.
   * @example ctx.metrics.counter("items_processed", 1);
   */
  counter(name: string, value = 1): void {
    checkMetricName("counter", name);
    if (typeof value !== "number" || !Number.isSafeInteger(value))
      throw new SDKUsageError(`counter value must be a safe integer, got ${describe(value)}`);
    void swallow(this.backend.metric({ kind: "counter", name, value }));
  }
  /**
   * Records a duration of `seconds` (finite, >= 0) under `name`.
   * @example ctx.metrics.timer("processing_time", 0.25);
   */
  timer(name: string, seconds: number): void {
    checkMetricName("timer", name);
    if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0)
      throw new SDKUsageError(`timer value must be a finite number of seconds >= 0, got ${describe(seconds)}`);
    void swallow(this.backend.metric({ kind: "timer", name, value: seconds }));
  }
}

function checkMetricName(kind: string, name: unknown): void {
  if (typeof name !== "string" || name.length === 0 || name.length > 256)
    throw new SDKUsageError(`${kind} name must be a non-empty string of at most 256 characters, got ${describe(name)}`);
}

/**
 * The context of the running request. Get it with `RequestContext.get()` inside any function.
 *
 * @example
 * const ctx = RequestContext.get();
 * console.log(ctx.requestId);
 * await ctx.state.set("processed", true);
 */
export class RequestContext {
  readonly state: RequestState;
  readonly progress: RequestProgress;
  readonly metrics: RequestMetrics;
  private constructor(private readonly backend: ContextBackend) {
    this.state = new RequestState(backend);
    this.progress = new RequestProgress(backend);
    this.metrics = new RequestMetrics(backend);
  }
  /** The context of the current call. Raises `SDKUsageError` outside a request. */
  static get(): RequestContext {
    const scope = currentScope();
    if (!scope)
      throw new SDKUsageError(
        "RequestContext.get() was called outside a request (run the function through runLocal, runRemote or a server)",
      );
    return new RequestContext(scope.context);
  }
  /** The request id. */
  get requestId(): string {
    return this.backend.requestId;
  }
  /** The name of the running function. */
  get functionName(): string {
    return this.backend.functionName;
  }
  /** The durable id of the running call. */
  get callId(): string {
    return this.backend.callId;
  }
  /** Aborted when the request is cancelled or the call timed out. */
  get signal(): AbortSignal {
    return this.backend.signal;
  }
  /**
   * The headers of the invoke that started this request, read-only (`set`, `append` and `delete`
   * throw `SDKUsageError`), without `authorization`, `cookie` or `proxy-authorization`. Each read
   * gives a fresh copy; `runLocal(app, input, { headers })` sets them in tests.
   *
   * @example
   * const tenant = RequestContext.get().headers.get("x-tenant") ?? "default";
   */
  get headers(): Headers {
    return readonlyHeaders(this.backend.headers ?? []);
  }
  /**
   * Epoch ms at which this attempt times out unless it reports progress; `null` while it waits on
   * a child call (the clock is paused then) or once it is over.
   *
   * @example
   * const left = ctx.deadline === null ? Infinity : ctx.deadline - Date.now();
   */
  get deadline(): number | null {
    return this.backend.deadline;
  }
  /**
   * Runs `handler` once per timer cycle, `beforeMs` before the deadline (default: 10 % of the
   * function's timeout, within 0.5–30 s), so a long-running function can checkpoint or report
   * progress before it would be killed. A progress update inside the handler resets the clock like
   * any other. Errors the handler throws are written to the attempt's stderr. Returns the function
   * that unsubscribes the handler.
   *
   * @example
   * const off = ctx.onDeadline(async () => {
   *   await ctx.state.set("checkpoint", cursor);
   * }, { beforeMs: 5_000 });
   * // ... later, when the work is done:
   * off();
   */
  onDeadline(handler: () => void | Promise<void>, options?: { beforeMs?: number }): () => void {
    if (typeof handler !== "function")
      throw new SDKUsageError(`onDeadline handler must be a function, got ${describe(handler)}`);
    if (options !== undefined && (options === null || typeof options !== "object")) {
      throw new SDKUsageError(`onDeadline options must be an object like { beforeMs: 5000 }, got ${describe(options)}`);
    }
    const beforeMs = options?.beforeMs;
    if (beforeMs !== undefined && (typeof beforeMs !== "number" || !Number.isFinite(beforeMs) || beforeMs <= 0)) {
      throw new SDKUsageError(
        `onDeadline 'beforeMs' must be a finite number of milliseconds > 0, got ${describe(beforeMs)}`,
      );
    }
    return this.backend.onDeadline(handler, beforeMs);
  }
}
