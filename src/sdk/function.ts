/**
 * `fn` and `application`: turning async functions (and class methods) into Tributary functions.
 *
 * A Tributary function is callable like the handler it wraps. Inside a request the call goes to the
 * runtime (a new container, journaled, retried); outside any request it runs the handler in-process,
 * so plain unit tests need nothing special.
 */
import { SDKUsageError } from "../core/errors.js";
import {
  checkCount,
  checkGpu,
  checkKnownKeys,
  checkName,
  checkRange,
  checkRegion,
  checkRetries,
  checkSecrets,
  checkAllow,
  checkSerializer,
  checkString,
  checkTags,
  BOUNDS,
  DEFAULTS,
  usage,
  type ApplicationAllow,
  type ApplicationSpec,
  type FunctionSpec,
} from "../core/options.js";
import { invokeEntry, registerFunction, type AppEntry, type FunctionEntry } from "../core/registry.js";
import { isStandardSchema, type AnySchema } from "../core/schema.js";
import { currentScope } from "../core/scope.js";
import type { Serializer } from "../core/codec.js";
import { isImage, type Image } from "./image.js";
import type { Retries, RetriesOptions } from "./retries.js";

const FN_BRAND = Symbol.for("tributary.function");

/** Options of a function (docs/programming-model.md; defaults and bounds from the seed). */
export interface FunctionOptions {
  /** The function's name; default: the handler's name (`Class.method` for methods). */
  name?: string;
  description?: string;
  /** CPUs, 1–8. Default 1. */
  cpu?: number;
  /** Memory in GB, 1–32. Default 1. */
  memory?: number;
  /** Ephemeral `/tmp` disk in GB, 2–50. Default 2. */
  ephemeralDisk?: number;
  /** `"MODEL"`, `"MODEL:COUNT"`, or a list of acceptable choices. */
  gpu?: string | string[];
  /** Seconds without progress before the call fails, 1–172800. Default 300. */
  timeout?: number;
  image?: Image;
  /** Secret names, injected as environment variables. */
  secrets?: string[];
  retries?: Retries | RetriesOptions;
  region?: string;
  /** Containers kept started ahead of demand. Default 0. */
  warmContainers?: number;
  /** Containers never reaped. Default 0. */
  minContainers?: number;
  /** Upper bound of concurrent containers. Default: unbounded. */
  maxContainers?: number;
}

/** Options of an application (docs/programming-model.md). */
export interface ApplicationOptions {
  tags?: Record<string, string>;
  /** Retry policy of every function called in this application's requests, unless it sets its own. */
  retries?: Retries | RetriesOptions;
  /** Region of every function called in this application's requests, unless it sets its own. */
  region?: string;
  /** How the request body is read: "json" (default) or "structured". */
  inputDeserializer?: Serializer;
  /** How the output is written: "json" (default) or "structured". */
  outputSerializer?: Serializer;
  /**
   * `["unauthenticated_requests"]` makes the application public: invoking it needs no API key
   * (reading its requests still does).
   * @example application({ allow: ["unauthenticated_requests"] }, fn(async function webhook(e: unknown) {}))
   */
  allow?: ApplicationAllow[];
  /** A Standard Schema (zod 4) validating the input at the HTTP boundary. */
  input?: AnySchema;
  /** A Standard Schema validating the output before it is stored. */
  output?: AnySchema;
}

type AnyHandler = (...args: any[]) => any;

/** A defined function: call it like its handler. */
export interface TributaryFunction<H extends AnyHandler = AnyHandler> {
  (...args: Parameters<H>): Promise<Awaited<ReturnType<H>>>;
  /** The function's registered name. */
  readonly functionName: string;
  /** The normalized options. */
  readonly spec: FunctionSpec;
  /**
   * Calls the function once per item, in parallel containers; results keep the items' order.
   * @example const lengths = await string_length.map(["a", "bb"]); // [1, 2]
   */
  map(items: Iterable<Parameters<H>[0]>): Promise<Awaited<ReturnType<H>>[]>;
  /**
   * Folds left: `f(f(initial, items[0]), items[1])…`. Without `initial` the first item starts the
   * fold; an empty list without `initial` is an error.
   * @example const total = await add.reduce([1, 2, 3], 0); // 6
   */
  reduce(items: Iterable<Parameters<H>[1]>, initial?: Parameters<H>[0]): Promise<Awaited<ReturnType<H>>>;
}

const FUNCTION_KEYS = [
  "name",
  "description",
  "cpu",
  "memory",
  "ephemeralDisk",
  "gpu",
  "timeout",
  "image",
  "secrets",
  "retries",
  "region",
  "warmContainers",
  "minContainers",
  "maxContainers",
] as const;
const APPLICATION_KEYS = [
  "tags",
  "retries",
  "region",
  "inputDeserializer",
  "outputSerializer",
  "allow",
  "input",
  "output",
] as const;

/** Validates function options into a spec (name resolved by the caller). */
export function normalizeFunctionOptions(where: string, name: string, o: FunctionOptions): FunctionSpec {
  if (typeof o !== "object" || o === null || Array.isArray(o)) usage(where, "options", "must be an object", o);
  checkKnownKeys(where, o, FUNCTION_KEYS);
  if (o.image !== undefined && !isImage(o.image))
    usage(where, "image", 'must be an Image, e.g. new Image({ baseImage: "ubuntu:24.04" })', o.image);
  const minContainers = checkCount(where, "minContainers", o.minContainers, 0);
  const warmContainers = checkCount(where, "warmContainers", o.warmContainers, 0);
  const maxContainers =
    o.maxContainers === undefined ? null : checkRange(where, "maxContainers", o.maxContainers, 1, [1, 1000], true);
  if (maxContainers !== null && minContainers > maxContainers)
    usage(where, "minContainers", `must not exceed maxContainers (${maxContainers})`, minContainers);
  if (maxContainers !== null && warmContainers > maxContainers)
    usage(where, "warmContainers", `must not exceed maxContainers (${maxContainers})`, warmContainers);
  return {
    name,
    description: checkString(where, "description", o.description),
    cpu: checkRange(where, "cpu", o.cpu, DEFAULTS.cpu, BOUNDS.cpu),
    memory: checkRange(where, "memory", o.memory, DEFAULTS.memory, BOUNDS.memory),
    ephemeralDisk: checkRange(where, "ephemeralDisk", o.ephemeralDisk, DEFAULTS.ephemeralDisk, BOUNDS.ephemeralDisk),
    gpu: checkGpu(where, o.gpu),
    timeout: checkRange(where, "timeout", o.timeout, DEFAULTS.timeout, BOUNDS.timeout),
    image: o.image ? o.image.toSpec() : null,
    secrets: checkSecrets(where, o.secrets),
    retries: checkRetries(where, o.retries),
    region: checkRegion(where, o.region),
    warmContainers,
    minContainers,
    maxContainers,
  };
}

function normalizeApplicationOptions(where: string, o: ApplicationOptions): AppEntry {
  if (typeof o !== "object" || o === null || Array.isArray(o)) usage(where, "options", "must be an object", o);
  checkKnownKeys(where, o, APPLICATION_KEYS);
  if (o.input !== undefined && !isStandardSchema(o.input))
    usage(where, "input", "must be a Standard Schema (e.g. a zod 4 schema)");
  if (o.output !== undefined && !isStandardSchema(o.output))
    usage(where, "output", "must be a Standard Schema (e.g. a zod 4 schema)");
  const spec: ApplicationSpec = {
    tags: checkTags(where, o.tags),
    retries: checkRetries(where, o.retries),
    region: checkRegion(where, o.region),
    inputDeserializer: checkSerializer(where, "inputDeserializer", o.inputDeserializer),
    outputSerializer: checkSerializer(where, "outputSerializer", o.outputSerializer),
  };
  const allow = checkAllow(where, o.allow);
  if (allow.length > 0) spec.allow = allow;
  return { spec, input: o.input, output: o.output };
}

/** Sends a call to the runtime of the current request, or runs it in-process outside any request. */
function dispatch(entry: FunctionEntry, args: unknown[]): Promise<unknown> {
  const scope = currentScope();
  if (!scope) return invokeEntry(entry, args);
  return scope.runtime.call(entry.spec.name, args);
}

async function dispatchMap(entry: FunctionEntry, items: Iterable<unknown>): Promise<unknown[]> {
  const list = [...items];
  const scope = currentScope();
  if (!scope) return Promise.all(list.map((i) => invokeEntry(entry, [i])));
  return scope.runtime.map(entry.spec.name, list);
}

async function dispatchReduce(
  entry: FunctionEntry,
  items: Iterable<unknown>,
  initial: { present: boolean; value?: unknown },
): Promise<unknown> {
  const list = [...items];
  if (list.length === 0 && !initial.present) {
    throw new SDKUsageError(`${entry.spec.name}.reduce: an empty list needs an initial value`);
  }
  const scope = currentScope();
  if (scope) return scope.runtime.reduce(entry.spec.name, list, initial);
  let acc = initial.present ? initial.value : list.shift();
  for (const item of list) acc = await invokeEntry(entry, [acc, item]);
  return acc;
}

/** Builds the callable function object around a registry entry (resolved lazily for methods). */
function makeCallable(getEntry: () => FunctionEntry, displayName: string): TributaryFunction {
  const f = function (this: unknown, ...args: unknown[]) {
    try {
      return dispatch(getEntry(), args);
    } catch (e) {
      return Promise.reject(e);
    }
  } as unknown as TributaryFunction & Record<symbol, unknown>;
  Object.defineProperty(f, "name", { value: displayName });
  Object.defineProperty(f, FN_BRAND, { value: true });
  Object.defineProperty(f, "functionName", { get: () => getEntry().spec.name });
  Object.defineProperty(f, "spec", { get: () => getEntry().spec });
  f.map = (items) => dispatchMap(getEntry(), items) as never;
  f.reduce = function (items: Iterable<unknown>, ...rest: unknown[]) {
    return dispatchReduce(
      getEntry(),
      items,
      rest.length > 0 ? { present: true, value: rest[0] } : { present: false },
    ) as never;
  } as never;
  return f;
}

/** True for a function object made by {@link fn} (from any copy of the SDK). */
export function isTributaryFunction(v: unknown): v is TributaryFunction {
  return typeof v === "function" && (v as unknown as Record<symbol, unknown>)[FN_BRAND] === true;
}

const ENTRY = Symbol.for("tributary.entry");

function defineFunction(options: FunctionOptions, handler: AnyHandler): TributaryFunction {
  if (typeof handler !== "function") usage("fn", "handler", "must be an async function", handler);
  if (isTributaryFunction(handler))
    throw new SDKUsageError(`fn: '${(handler as TributaryFunction).functionName}' is already a Tributary function`);
  const name = checkName(`fn ${handler.name || "<anonymous>"}`, options.name ?? handler.name);
  const entry: FunctionEntry = { spec: normalizeFunctionOptions(`fn ${name}`, name, options), handler };
  registerFunction(entry);
  warnSelfCall(handler);
  const f = makeCallable(() => entry, name);
  Object.defineProperty(f, ENTRY, { value: entry });
  return f;
}

/** The registry entry behind a function object (internal). */
export function entryOf(f: TributaryFunction): FunctionEntry {
  const e = (f as unknown as Record<symbol, FunctionEntry | undefined>)[ENTRY];
  if (!e) throw new SDKUsageError(`'${f.name}' is not a defined function (is its class decorated with @cls()?)`);
  return e;
}

// ---- class methods -----------------------------------------------------------------------------

/** A method decorated with @fn, waiting for its class's @cls() to give it a full name. */
export interface PendingMethod {
  methodName: string;
  options: FunctionOptions;
  original: AnyHandler;
  app?: AppEntry | undefined;
  entry?: FunctionEntry | undefined;
  callable: TributaryFunction;
}
export const PENDING = Symbol.for("tributary.pendingMethod");

type MethodDecorator = <M extends AnyHandler>(method: M, context: ClassMethodDecoratorContext) => M;

function methodDecorator(options: FunctionOptions): MethodDecorator {
  // Validate now (definition time) with a placeholder name; @cls() re-validates with the real one.
  return (method, context) => {
    if (context.kind !== "method") throw new SDKUsageError(`@fn can decorate methods only, not a ${context.kind}`);
    if (context.static)
      throw new SDKUsageError(
        `@fn cannot decorate static method ${String(context.name)}; use fn() on a plain function`,
      );
    if (typeof context.name !== "string") throw new SDKUsageError("@fn methods need a string name");
    normalizeFunctionOptions(`@fn ${context.name}`, options.name ?? context.name, options);
    const pending: PendingMethod = {
      methodName: context.name,
      options,
      original: method,
      callable: undefined as never,
    };
    const callable = makeCallable(() => {
      if (!pending.entry)
        throw new SDKUsageError(
          `method '${pending.methodName}' is decorated with @fn but its class has no @cls() decorator`,
        );
      return pending.entry;
    }, context.name);
    pending.callable = callable;
    Object.defineProperty(callable, PENDING, { value: pending });
    Object.defineProperty(callable, ENTRY, { get: () => pending.entry });
    return callable as unknown as typeof method;
  };
}

/**
 * Defines a function. `fn(handler)` and `fn(options, handler)` return a callable function object;
 * `fn()` and `fn(options)` return a decorator for methods of a `@cls()` class.
 *
 * @example
 * export const string_length = fn({ cpu: 2, timeout: 30 }, async function string_length(s: string) {
 *   return s.length;
 * });
 */
export function fn<H extends AnyHandler>(handler: H): TributaryFunction<H>;
export function fn<H extends AnyHandler>(options: FunctionOptions, handler: H): TributaryFunction<H>;
export function fn(options?: FunctionOptions): MethodDecorator;
export function fn(a?: unknown, b?: unknown): unknown {
  if (typeof a === "function") {
    // Bare `@fn` on a method calls fn(method, context).
    if (typeof b === "object" && b !== null && (b as { kind?: unknown }).kind === "method") {
      return methodDecorator({})(a as AnyHandler, b as ClassMethodDecoratorContext);
    }
    return defineFunction({}, a as AnyHandler);
  }
  const options = (a ?? {}) as FunctionOptions;
  if (typeof options !== "object" || options === null) usage("fn", "options", "must be an object", a);
  if (b === undefined) {
    normalizeFunctionOptions("fn", "placeholder", options);
    return methodDecorator(options);
  }
  return defineFunction(options, b as AnyHandler);
}

/**
 * Marks a function as an application: an HTTP entry point named after the function.
 * `application(target)`, `application(options, target)`; with options only (or nothing) it returns
 * a method decorator (stack it above `@fn()`).
 *
 * @example
 * export const greet = application(fn(async function greet(data: string) {
 *   return data + " from greet!";
 * }));
 */
export function application<H extends AnyHandler>(target: TributaryFunction<H> | H): TributaryFunction<H>;
export function application<H extends AnyHandler>(
  options: ApplicationOptions,
  target: TributaryFunction<H> | H,
): TributaryFunction<H>;
export function application(options?: ApplicationOptions): MethodDecorator;
export function application(a?: unknown, b?: unknown): unknown {
  if (
    typeof a === "function" &&
    !(typeof b === "object" && b !== null && (b as { kind?: unknown }).kind === "method")
  ) {
    return markApplication({}, a as AnyHandler);
  }
  if (typeof a === "function") return applicationDecorator({})(a as AnyHandler, b as ClassMethodDecoratorContext);
  const options = (a ?? {}) as ApplicationOptions;
  if (b === undefined) {
    normalizeApplicationOptions("application", options);
    return applicationDecorator(options);
  }
  if (typeof b !== "function")
    usage("application", "target", "must be a function made by fn(...) or an async function", b);
  return markApplication(options, b as AnyHandler);
}

function markApplication(options: ApplicationOptions, target: AnyHandler): TributaryFunction {
  const f = isTributaryFunction(target) ? target : defineFunction({}, target);
  const pending = (f as unknown as Record<symbol, PendingMethod | undefined>)[PENDING];
  if (pending) {
    pending.app = normalizeApplicationOptions(`application ${pending.methodName}`, options);
    return f;
  }
  const entry = entryOf(f);
  if (entry.app) throw new SDKUsageError(`application '${entry.spec.name}' is marked as an application twice`);
  entry.app = normalizeApplicationOptions(`application ${entry.spec.name}`, options);
  return f;
}

function applicationDecorator(options: ApplicationOptions): MethodDecorator {
  return (method, context) => {
    const decorated = isTributaryFunction(method) ? method : (methodDecorator({})(method, context) as AnyHandler);
    return markApplication(options, decorated) as unknown as typeof method;
  };
}

/**
 * A named function expression that calls itself by its own name (`fn(async function f(n) {
 * return f(n - 1); })`) reaches the plain handler, not the durable function: JavaScript binds `f`
 * inside the expression to the expression itself. That call runs in-process, unjournaled. Warned
 * once at definition time; an arrow with `{ name }` (or another name) calls the function object.
 */
function warnSelfCall(handler: AnyHandler): void {
  const name = handler.name;
  if (!name || !/^[A-Za-z_$][\w$]*$/.test(name)) return;
  const text = Function.prototype.toString.call(handler);
  if (!text.startsWith(`async function ${name}`) && !text.startsWith(`function ${name}`)) return;
  const body = text.slice(text.indexOf("{") + 1);
  if (!new RegExp(`(^|[^.\\w$])${name}\\s*\\(`).test(body)) return;
  process.emitWarning(
    `function '${name}' calls itself by its own name: inside \`function ${name}\` that name is the plain handler, so the call runs in-process, not as a durable call. Define it as fn({ name: "${name}" }, async (...) => ...) to call the function object.`,
    { code: "TRIBUTARY_SELF_CALL" },
  );
}
