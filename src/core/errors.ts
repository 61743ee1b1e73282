/**
 * Error classes of the public API and their plain-data form.
 *
 * Invariant: an error that crosses a process boundary (container → executor → server → parent
 * container) travels as {@link PlainError} and becomes a typed error again on arrival via
 * {@link fromPlainError}. User bundles carry their own copy of the SDK, so errors are recognised by
 * a `Symbol.for` brand ({@link isTributaryError}), never by `instanceof` across copies.
 */

const BRAND = Symbol.for("tributary.error");

/** The serializable form of any error that crosses a process boundary. */
export interface PlainError {
  name: string;
  message: string;
  stack?: string | undefined;
  /** False for errors that must never be retried (`RequestError`, non-determinism). */
  retryable: boolean;
  /** The function that raised it, when known. */
  functionName?: string | undefined;
  /** Nested cause (the child's error for a `FunctionError`). */
  cause?: PlainError | undefined;
}

/** Base class of every error this package raises. */
export class TributaryError extends Error {
  /** Whether the retry policy applies to this error. */
  readonly retryable: boolean = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    Object.defineProperty(this, BRAND, { value: true });
  }
  override get name(): string {
    return this.constructor.name;
  }
}

/**
 * Wrong use of the SDK: a bad option, a bad progress/state/metrics argument. Raised at definition
 * time or at the call site, before anything is recorded.
 *
 * @example
 * fn({ cpu: 99 }, async function f() {}); // SDKUsageError: cpu must be between 1 and 8, got 99
 */
export class SDKUsageError extends TributaryError {
  override readonly retryable = false;
}

/**
 * A child function call failed after its retries were exhausted. Carries the child's message and
 * stack (`childStack`) and the function name.
 *
 * @example
 * try { await child(x); } catch (e) { if (isFunctionError(e)) console.log(e.functionName, e.message); }
 */
export class FunctionError extends TributaryError {
  constructor(
    message: string,
    readonly functionName?: string,
    readonly childStack?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A call ran past its timeout without reporting progress. Raised in the caller of a timed-out child.
 *
 * @example
 * try { await slow(); } catch (e) { if (e instanceof TimeoutError) ... }
 */
export class TimeoutError extends TributaryError {
  constructor(
    message: string,
    readonly functionName?: string,
  ) {
    super(message);
  }
}

/**
 * Fails the whole request with `request_error` and this message. Never retried; it propagates up the
 * call tree until a caller catches it.
 *
 * @example
 * if (!input.ok) throw new RequestError("input rejected: missing 'ok'");
 */
export class RequestError extends TributaryError {
  override readonly retryable = false;
}

/**
 * A value could not be serialized at a boundary (a function, a socket, a Tributary function object).
 * Raised at the call site; the caller can catch it.
 */
export class SerializationError extends TributaryError {}

/** Bytes could not be decoded into a value (malformed JSON input, corrupt blob). */
export class DeserializationError extends TributaryError {}

/** A retried attempt asked for a different function at a journaled position. Terminal. */
export class NonDeterminismError extends TributaryError {
  override readonly retryable = false;
}

/** The request was cancelled; raised inside running calls whose signal was aborted. */
export class CancelledError extends TributaryError {
  override readonly retryable = false;
}

/** A fault of the system, not of user code. */
export class InternalError extends TributaryError {}

const CONSTRUCTORS: Record<string, new (message: string) => TributaryError> = {
  SDKUsageError,
  FunctionError,
  TimeoutError,
  RequestError,
  SerializationError,
  DeserializationError,
  NonDeterminismError,
  CancelledError,
  InternalError,
};

/** True when `e` is an error of this package, whichever copy of the SDK created it. */
export function isTributaryError(e: unknown): e is TributaryError {
  return typeof e === "object" && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}

/** True when `e` is an error named `name` from any copy of the SDK (brand + name check). */
export function isErrorNamed(e: unknown, name: string): boolean {
  return isTributaryError(e) && e.name === name;
}

/** Converts any thrown value into plain data that survives JSON and structured clone. */
export function toPlainError(e: unknown, functionName?: string): PlainError {
  if (e instanceof Error || isTributaryError(e)) {
    const err = e as Error & { retryable?: unknown; functionName?: unknown; childStack?: unknown };
    const plain: PlainError = {
      name: isTributaryError(e) ? e.name : err.name || "Error",
      message: String(err.message ?? ""),
      stack: typeof err.childStack === "string" ? err.childStack : err.stack,
      retryable: typeof err.retryable === "boolean" ? err.retryable : true,
    };
    const fnName = typeof err.functionName === "string" ? err.functionName : functionName;
    if (fnName !== undefined) plain.functionName = fnName;
    return plain;
  }
  return { name: "Error", message: safeString(e), retryable: true, functionName };
}

/** Turns plain data back into a typed error; unknown names become a plain `Error` with that name. */
export function fromPlainError(p: PlainError): Error {
  const Ctor = CONSTRUCTORS[p.name];
  let err: Error;
  if (p.name === "FunctionError") err = new FunctionError(p.message, p.functionName, p.stack);
  else if (p.name === "TimeoutError") err = new TimeoutError(p.message, p.functionName);
  else if (Ctor) err = new Ctor(p.message);
  else {
    err = new Error(p.message);
    Object.defineProperty(err, "name", { value: p.name, configurable: true });
  }
  if (p.stack !== undefined) err.stack = p.stack;
  return err;
}

function safeString(v: unknown): string {
  try {
    return String(v);
  } catch {
    return "<unprintable thrown value>";
  }
}

/**
 * Raised by `Request.output()` when the request failed for a reason other than a `RequestError`
 * (which is raised as itself) — `reason` is the failure reason word of docs/semantics.md.
 */
export class RequestFailedError extends TributaryError {
  override readonly retryable = false;
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}
