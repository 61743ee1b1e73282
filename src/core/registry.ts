/**
 * The process-wide registry of defined functions, classes and applications. Definitions register at
 * module evaluation; a container looks up the function it hosts here.
 *
 * Invariant: lives on `globalThis` under a `Symbol.for` key so the SDK copy inside a user bundle and
 * the host's copy agree. A name registered twice is an `SDKUsageError` at definition time.
 */
import { SDKUsageError } from "./errors.js";
import type { ApplicationSpec, FunctionSpec } from "./options.js";
import type { AnySchema } from "./schema.js";

export interface AppEntry {
  spec: ApplicationSpec;
  input?: AnySchema | undefined;
  output?: AnySchema | undefined;
}

export interface ClassEntry {
  name: string;
  ctor: new () => object;
  initTimeout: number | null;
  methods: string[];
  /** The one instance of this runtime; a failed construction is not cached. */
  instance?: Promise<object> | undefined;
}

export interface FunctionEntry {
  spec: FunctionSpec;
  /** Plain functions: the user handler. Methods: the original method (called on the instance). */
  handler: (...args: unknown[]) => unknown;
  classEntry?: ClassEntry | undefined;
  app?: AppEntry | undefined;
}

interface Registry {
  functions: Map<string, FunctionEntry>;
  classes: Map<string, ClassEntry>;
}

const KEY = Symbol.for("tributary.registry.v1");

export function registry(): Registry {
  const g = globalThis as { [KEY]?: Registry };
  return (g[KEY] ??= { functions: new Map(), classes: new Map() });
}

export function registerFunction(entry: FunctionEntry): void {
  const r = registry();
  if (r.functions.has(entry.spec.name)) {
    throw new SDKUsageError(
      `function name '${entry.spec.name}' is defined twice; names must be unique (pass { name } to rename one)`,
    );
  }
  r.functions.set(entry.spec.name, entry);
}

export function lookupFunction(name: string): FunctionEntry | undefined {
  return registry().functions.get(name);
}

/** The class instance of this runtime, constructed on first use. */
export function classInstance(c: ClassEntry): Promise<object> {
  if (!c.instance) {
    const p = Promise.resolve().then(() => Reflect.construct(c.ctor, []) as object);
    c.instance = p;
    p.catch(() => {
      if (c.instance === p) c.instance = undefined;
    });
  }
  return c.instance;
}

/** Runs an entry's user code with already-decoded arguments. */
export async function invokeEntry(entry: FunctionEntry, args: unknown[]): Promise<unknown> {
  if (entry.classEntry) {
    const self = await classInstance(entry.classEntry);
    return await entry.handler.apply(self, args);
  }
  return await entry.handler(...args);
}

/** Forgets every definition (tests and manifest extraction only). */
export function clearRegistry(): void {
  const r = registry();
  r.functions.clear();
  r.classes.clear();
}
