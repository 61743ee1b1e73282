/**
 * `@cls()`: a class whose constructor runs once per container, and whose `@fn` methods are functions
 * named `Class.method`, all served by that one instance.
 *
 * Outside the container hosting it, `new MyClass()` builds a cheap handle: the constructor (and its
 * field initializers, such as loading a model) never run there. Calling a method on the handle is a
 * function call like any other.
 */
import { SDKUsageError } from "../core/errors.js";
import { checkKnownKeys, checkName, checkRange, BOUNDS } from "../core/options.js";
import { registerFunction, registry, type ClassEntry, type FunctionEntry } from "../core/registry.js";
import { normalizeFunctionOptions, PENDING, type PendingMethod } from "./function.js";

/** Options of {@link cls}. */
export interface ClsOptions {
  /** The class name used in function names; default: the class's own name. */
  name?: string;
  /** Seconds the constructor may take, 1–172800. Default: each function's timeout. */
  initTimeout?: number;
}

/**
 * Class decorator for classes whose `@fn` methods share one instance per container.
 *
 * @example
 * @cls()
 * class MyCompute {
 *   model = loadLargeModel();            // runs once per container
 *   @fn({ cpu: 4, memory: 16 })
 *   async run(data: string) { return this.model.run(data); }
 * }
 * await new MyCompute().run("x");        // a call to the function "MyCompute.run"
 */
export function cls(options: ClsOptions = {}) {
  if (typeof options !== "object" || options === null) throw new SDKUsageError("cls: options must be an object");
  checkKnownKeys("cls", options, ["name", "initTimeout"]);
  const initTimeout =
    options.initTimeout === undefined ? null : checkRange("cls", "initTimeout", options.initTimeout, 0, BOUNDS.timeout);
  return function <T extends abstract new () => object>(target: T, context: ClassDecoratorContext<T>): T {
    if (context.kind !== "class") throw new SDKUsageError("@cls() decorates classes only");
    const className = checkName(
      `cls ${String(context.name ?? "")}`,
      options.name ?? target.name ?? context.name,
      "name",
    );
    if (target.length > 0) {
      throw new SDKUsageError(
        `cls ${className}: the constructor must take no parameters (it runs once per container with none), but it declares ${target.length}`,
      );
    }
    const pendings: PendingMethod[] = [];
    for (const key of Object.getOwnPropertyNames(target.prototype)) {
      const desc = Object.getOwnPropertyDescriptor(target.prototype, key);
      const p =
        typeof desc?.value === "function"
          ? (desc.value as Record<symbol, PendingMethod | undefined>)[PENDING]
          : undefined;
      if (p) pendings.push(p);
    }
    if (pendings.length === 0) throw new SDKUsageError(`cls ${className}: no method is decorated with @fn()`);
    if (registry().classes.has(className)) throw new SDKUsageError(`class name '${className}' is defined twice`);
    const entry: ClassEntry = {
      name: className,
      ctor: target as unknown as new () => object,
      initTimeout,
      methods: [],
    };
    for (const p of pendings) {
      const fullName = p.options.name ?? `${className}.${p.methodName}`;
      if (p.options.name !== undefined) checkName(`@fn ${className}.${p.methodName}`, p.options.name);
      const spec = normalizeFunctionOptions(`@fn ${fullName}`, fullName, p.options);
      spec.className = className;
      spec.methodName = p.methodName;
      spec.initTimeout = initTimeout;
      const fe: FunctionEntry = { spec, handler: p.original, classEntry: entry, app: p.app };
      registerFunction(fe);
      p.entry = fe;
      entry.methods.push(fullName);
    }
    registry().classes.set(className, entry);
    // The handle constructor: same prototype (so methods and instanceof work), no user code.
    const Handle = function (this: object) {
      if (!new.target) throw new TypeError(`Class constructor ${className} cannot be invoked without 'new'`);
    } as unknown as T;
    Object.defineProperty(Handle, "name", { value: target.name });
    (Handle as unknown as { prototype: object }).prototype = target.prototype;
    Object.setPrototypeOf(Handle, target);
    return Handle;
  };
}
