/**
 * `runLocal`: runs one request of an application in this process with the semantics of docs/semantics.md
 *  — retries with backoff, timeouts reset by progress and paused while waiting on children,
 * journaled calls with replay, state, progress, metrics, cancellation — and the same boundary
 * codecs as production (input encoded and decoded with the application's deserializer, validated by
 * its schema; output validated, encoded and decoded; arguments and results of every call copied).
 */
import { headerPairs } from "../core/request-headers.js";
import { randomUUID } from "node:crypto";
import { decodeInput, encodeInput, encodeOutput, encodeStructured, type Encoded } from "../core/codec.js";
import { systemClock, type Clock } from "../core/clock.js";
import { rootCallId } from "../core/durable-id.js";
import { SDKUsageError } from "../core/errors.js";
import { lookupFunction, type AppEntry, type FunctionEntry } from "../core/registry.js";
import { validateSchema } from "../core/schema.js";
import { entryOf, isTributaryFunction, type TributaryFunction } from "../sdk/function.js";
import { internalFailure, runCall } from "./call-runner.js";
import { LocalRequest } from "./local-request.js";
import { createRequestRun } from "./request-run.js";

/** Options of {@link runLocal}. */
export interface RunLocalOptions {
  /** Time source for backoff and timeouts (default: the system clock; see `tributary/testing`). */
  clock?: Clock;
  /** The request id (default: a random UUID). */
  requestId?: string;
  /**
   * Re-run every successful attempt once more against the journal and fail with a
   * `NonDeterminismError` if it asks for different calls (Restate's test mode). Side effects of
   * successful attempts happen twice in this mode.
   */
  alwaysReplay?: boolean;
  /**
   * The invoke's headers, which functions read as `ctx.headers` (`authorization`, `cookie` and
   * `proxy-authorization` are removed, as the server does).
   * @example await runLocal(webhook, event, { headers: { "x-github-event": "push" } });
   */
  headers?: Record<string, string> | Iterable<readonly [string, string]>;
}

/**
 * Runs a request of `app` in-process. Rejects before any function runs when `app` is not an
 * application, when the input cannot be encoded, or when it fails the input schema (with the path).
 *
 * @example
 * const req = await runLocal(greet, "Hello, world!");
 * console.log(await req.output()); // "Hello, world! from greet!"
 * for await (const ev of req.progress()) console.log(ev.seq, ev.kind);
 */
export async function runLocal<H extends (...args: any[]) => any>(
  app: TributaryFunction<H> | string,
  input?: unknown,
  options: RunLocalOptions = {},
): Promise<LocalRequest<Awaited<ReturnType<H>>>> {
  const entry = resolveApplication(app);
  const appEntry = entry.app as AppEntry;
  const spec = appEntry.spec;
  // The real boundary: what a client would send, read back as the server would.
  const wire = encodeInput(input, spec.inputDeserializer);
  const decoded = wire
    ? decodeInput(wire.bytes, wire.contentType, spec.inputDeserializer)
    : ({ present: false } as const);
  let args: unknown[] = decoded.present ? [decoded.value] : [];
  if (appEntry.input)
    args = [await validateSchema(appEntry.input, decoded.present ? decoded.value : undefined, "input")];
  const argBytes = encodeStructured(args, "input");

  const run = createRequestRun(
    options.requestId ?? randomUUID(),
    options.clock ?? systemClock,
    appEntry,
    options.alwaysReplay ?? false,
  );
  run.headers = headerPairs(options.headers);
  const request = new LocalRequest<Awaited<ReturnType<H>>>(run);
  const encodeRoot = async (value: unknown): Promise<Encoded> => {
    const checked = appEntry.output ? await validateSchema(appEntry.output, value, "output") : value;
    return encodeOutput(checked, spec.outputSerializer);
  };
  run.events.append({ kind: "request:started", data: { application: entry.spec.name } });
  void runCall(run, rootCallId(run.id, entry.spec.name), null, entry, argBytes, encodeRoot)
    .catch((e: unknown) => internalFailure<Encoded>(e, entry.spec.name))
    .then((o) => request.settle(o));
  return request;
}

function resolveApplication(app: unknown): FunctionEntry {
  let entry: FunctionEntry | undefined;
  if (typeof app === "string") entry = lookupFunction(app);
  else if (isTributaryFunction(app)) entry = entryOf(app);
  const label = typeof app === "string" ? `'${app}'` : typeof app === "function" ? `'${app.name}'` : String(app);
  if (!entry)
    throw new SDKUsageError(
      `runLocal: ${label} is not a defined function; pass a function made by application(fn(...))`,
    );
  if (!entry.app)
    throw new SDKUsageError(`runLocal: '${entry.spec.name}' is not an application; mark it with application(...)`);
  return entry;
}
