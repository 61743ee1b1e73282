/**
 * Error classes of the public API and their plain-data form.
 *
 * Invariants:
 * - An error that crosses a process boundary (container → executor → server → parent container)
 *   travels as {@link PlainError} and becomes a typed error again on arrival via
 *   {@link fromPlainError}. {@link toPlainError} is the one place where a thrown value becomes plain
 *   data, and the one place where stacks are cleaned (see ./stack.ts).
 * - User bundles carry their own copy of the SDK. Every class of this file therefore carries a
 *   `Symbol.for("tributary.error.<Name>")` brand on its prototype, and `instanceof` against one of
 *   these classes checks that brand (`static [Symbol.hasInstance]`), so an error thrown by the host's
 *   copy is `instanceof` the bundle's class and vice versa. A user's subclass (`class MyError extends
 *   RequestError`) has no brand of its own and keeps JavaScript's ordinary `instanceof`.
 * - Each class's `name` is written here, never taken from `constructor.name`, which bundlers may
 *   rename. A user's subclass is named after its constructor, as any JavaScript error class is.
 */
import type { PlainError } from "./plain-error.js";
import type { FailureReason } from "./status.js";
import { cleanStack } from "./stack.js";

export type { PlainError } from "./plain-error.js";

/** The prototype key that marks instances of the class named `name`, from any copy of the SDK. */
function brandKey(name: string): symbol {
  return Symbol.for(`tributary.error.${name}`);
}

/** Static key, per SDK copy, holding a class's own brand; absent on users' subclasses. */
const OWN_BRAND = Symbol("tributary.ownBrand");

/** Marks `cls` as the class `name`: brand on the prototype, explicit `name`, brand-based `instanceof`. */
function brand(cls: abstract new (...args: never[]) => Error, name: string): void {
  Object.defineProperty(cls, OWN_BRAND, { value: brandKey(name) });
  Object.defineProperty(cls.prototype, brandKey(name), { value: true });
  // Writable, so that `this.name = …` in a user's subclass creates its own property as usual.
  Object.defineProperty(cls.prototype, "name", { value: name, writable: true, configurable: true, enumerable: false });
}

function hasBrand(x: unknown, key: symbol): boolean {
  return (
    (typeof x === "object" || typeof x === "function") && x !== null && (x as Record<symbol, unknown>)[key] === true
  );
}

/**
 * Base class of every error this package raises.
 *
 * @example
 * try { await child(x); } catch (e) { if (e instanceof TributaryError) console.log(e.name, e.retryable); }
 */
export class TributaryError extends Error {
  static {
    brand(this, "TributaryError");
  }

  /**
   * `instanceof` by brand for the classes of this file (true across SDK copies), ordinary
   * prototype-chain `instanceof` for every subclass defined elsewhere.
   */
  static override [Symbol.hasInstance](x: unknown): boolean {
    const own = Object.prototype.hasOwnProperty.call(this, OWN_BRAND)
      ? ((this as unknown as Record<symbol, symbol>)[OWN_BRAND] as symbol)
      : undefined;
    if (own === undefined) return Function.prototype[Symbol.hasInstance].call(this, x);
    return hasBrand(x, own);
  }

  /** Whether the retry policy applies to this error. */
  readonly retryable: boolean = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // A subclass defined outside this file is named after its constructor (its prototype inherits
    // the parent's name otherwise); ours carry their name on the prototype.
    if (!Object.prototype.hasOwnProperty.call(new.target, OWN_BRAND) && new.target.name) {
      Object.defineProperty(this, "name", {
        value: new.target.name,
        writable: true,
        configurable: true,
        enumerable: false,
      });
    }
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
  static {
    brand(this, "SDKUsageError");
  }
  override readonly retryable = false;
}

/**
 * A child function call failed after its retries were exhausted. Carries the child's message and
 * stack (`childStack`) and the function name.
 *
 * @example
 * try { await child(x); } catch (e) { if (e instanceof FunctionError) console.log(e.functionName, e.message); }
 */
export class FunctionError extends TributaryError {
  static {
    brand(this, "FunctionError");
  }
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
 * try { await slow(); } catch (e) { if (e instanceof TimeoutError) console.log(e.functionName); }
 */
export class TimeoutError extends TributaryError {
  static {
    brand(this, "TimeoutError");
  }
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
  static {
    brand(this, "RequestError");
  }
  override readonly retryable = false;
}

/**
 * A value could not be serialized at a boundary (a function, a socket, a Tributary function object).
 * Raised at the call site; the caller can catch it.
 *
 * @example
 * try { await child(() => 1); } catch (e) { if (e instanceof SerializationError) console.log(e.message); }
 */
export class SerializationError extends TributaryError {
  static {
    brand(this, "SerializationError");
  }
}

/**
 * Bytes could not be decoded into a value (malformed JSON input, corrupt blob).
 *
 * @example
 * try { await req.output(); } catch (e) { if (e instanceof DeserializationError) console.log(e.message); }
 */
export class DeserializationError extends TributaryError {
  static {
    brand(this, "DeserializationError");
  }
}

/**
 * A retried attempt asked for a different function at a journaled position. Terminal.
 *
 * @example
 * if (e instanceof NonDeterminismError) console.log("calls must not depend on time or randomness");
 */
export class NonDeterminismError extends TributaryError {
  static {
    brand(this, "NonDeterminismError");
  }
  override readonly retryable = false;
}

/**
 * The request was cancelled; raised inside running calls whose signal was aborted.
 *
 * @example
 * if (e instanceof CancelledError) return; // the request is over, nothing to report
 */
export class CancelledError extends TributaryError {
  static {
    brand(this, "CancelledError");
  }
  override readonly retryable = false;
}

/**
 * A fault of the system, not of user code.
 *
 * @example
 * if (e instanceof InternalError) console.error("report this:", e.message);
 */
export class InternalError extends TributaryError {
  static {
    brand(this, "InternalError");
  }
}

/**
 * Raised by `Request.output()` (of `runLocal` and `runRemote`) when the request failed for a reason
 * other than a `RequestError`: a request that failed with `request_error` raises the `RequestError`
 * itself (its message is the request's `request_error.message`), as the seed's SDK does. Carries the
 * request's failure reason (docs/semantics.md), its id, and the error that caused the failure as plain
 * data (cleaned of Tributary's frames), when the runner reported one.
 *
 * @example
 * try { await (await runRemote("app", input)).output(); }
 * catch (e) { if (e instanceof RequestFailedError) console.log(e.failureReason); } // "function_error"
 */
export class RequestFailedError extends TributaryError {
  static {
    brand(this, "RequestFailedError");
  }
  override readonly retryable = false;
  /** The failed request's id, when known. */
  readonly requestId: string | null;
  /** The error that failed the request, as plain data, when the runner reported it. */
  readonly error: PlainError | null;

  constructor(
    readonly failureReason: FailureReason,
    message: string,
    details: { requestId?: string; error?: PlainError | null } = {},
  ) {
    super(message);
    this.requestId = details.requestId ?? null;
    this.error = details.error ?? null;
  }

  /** Same as {@link failureReason} (the name earlier versions used). */
  get reason(): FailureReason {
    return this.failureReason;
  }
}

/** True when `e` is an error of this package, whichever copy of the SDK created it. */
export function isTributaryError(e: unknown): e is TributaryError {
  return hasBrand(e, brandKey("TributaryError"));
}

/**
 * True when `e` is an instance of the class named `name` from any copy of the SDK (by brand, so a
 * user's subclass of `RequestError` is also a `"RequestError"`).
 *
 * @example
 * isErrorNamed(e, "TimeoutError") // same as e instanceof TimeoutError
 */
export function isErrorNamed(e: unknown, name: ErrorName | (string & {})): boolean {
  return hasBrand(e, brandKey(name));
}

const CONSTRUCTORS = {
  TributaryError,
  SDKUsageError,
  FunctionError,
  TimeoutError,
  RequestError,
  SerializationError,
  DeserializationError,
  NonDeterminismError,
  CancelledError,
  InternalError,
} satisfies Record<string, new (message: string) => TributaryError>;

/** The names of this package's error classes that user code may meet (besides RequestFailedError). */
export type ErrorName = keyof typeof CONSTRUCTORS | "RequestFailedError";

/**
 * Names of failures that only exist as plain data: the container died (`ContainerExitError`,
 * `OutOfMemoryError`) or the call could never be placed (`ConstraintUnsatisfiableError`). A caller
 * meets them as a `FunctionError` carrying that message.
 */
export type InfraErrorName = "ContainerExitError" | "OutOfMemoryError" | "ConstraintUnsatisfiableError";

/** Retryability of each name when the factory is not told otherwise. */
const NOT_RETRYABLE = new Set<string>([
  "SDKUsageError",
  "RequestError",
  "NonDeterminismError",
  "CancelledError",
  "RequestFailedError",
  "ConstraintUnsatisfiableError",
]);

/**
 * The one factory of plain errors made by the system itself (executor, engine, runners): the name is
 * one of the known words and `retryable` follows from it unless given.
 *
 * @example
 * plainError("CancelledError", "the request was cancelled") // { name, message, retryable: false }
 */
export function plainError(
  name: ErrorName | InfraErrorName,
  message: string,
  extra: { functionName?: string | undefined; retryable?: boolean; stack?: string | undefined } = {},
): PlainError {
  return makePlain(name, message, extra.retryable ?? !NOT_RETRYABLE.has(name), extra);
}

function makePlain(
  name: string,
  message: string,
  retryable: boolean,
  extra: { functionName?: string | undefined; stack?: string | undefined },
): PlainError {
  const p: PlainError = { name, message, retryable };
  if (extra.stack !== undefined) p.stack = extra.stack;
  if (extra.functionName !== undefined) p.functionName = extra.functionName;
  return p;
}

/**
 * Converts any thrown value into plain data that survives JSON and structured clone. The stack is
 * cleaned of Tributary's own frames and host paths here, so nothing downstream (store, API, SSE,
 * CLI) ever holds one.
 */
export function toPlainError(e: unknown, functionName?: string): PlainError {
  if (isPlainErrorShape(e)) {
    const p = makePlain(e.name, e.message, e.retryable, {
      stack: e.stack === undefined ? undefined : cleanStack(e.stack),
      functionName: e.functionName ?? functionName,
    });
    if (e.cause !== undefined) p.cause = toPlainError(e.cause);
    return p;
  }
  if (e instanceof Error || isTributaryError(e)) {
    const err = e as Error & { retryable?: unknown; functionName?: unknown; childStack?: unknown };
    const stack = typeof err.childStack === "string" ? err.childStack : err.stack;
    const fnName = typeof err.functionName === "string" ? err.functionName : functionName;
    const retryable = typeof err.retryable === "boolean" ? err.retryable : true;
    return makePlain(String(err.name || "Error"), String(err.message ?? ""), retryable, {
      stack: typeof stack === "string" ? cleanStack(stack) : undefined,
      functionName: fnName,
    });
  }
  return makePlain("Error", safeString(e), true, { functionName });
}

/** A value that already is a plain error (an executor or engine failure passed along). */
function isPlainErrorShape(e: unknown): e is PlainError {
  if (typeof e !== "object" || e === null || e instanceof Error) return false;
  const p = e as Record<string, unknown>;
  return typeof p.name === "string" && typeof p.message === "string" && typeof p.retryable === "boolean";
}

/** Turns plain data back into a typed error; unknown names become a plain `Error` with that name. */
export function fromPlainError(p: PlainError): Error {
  let err: Error;
  if (p.name === "FunctionError") err = new FunctionError(p.message, p.functionName, p.stack);
  else if (p.name === "TimeoutError") err = new TimeoutError(p.message, p.functionName);
  else if (Object.prototype.hasOwnProperty.call(CONSTRUCTORS, p.name))
    err = new CONSTRUCTORS[p.name as keyof typeof CONSTRUCTORS](p.message);
  else {
    err = new Error(p.message);
    Object.defineProperty(err, "name", { value: p.name, configurable: true, writable: true });
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
