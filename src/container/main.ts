/**
 * The container process: hosts one function (or one class instance) of one application bundle and
 * runs one call at a time for its executor. Started with `child_process.fork` and
 * `serialization: "advanced"`; the V8 heap limit is set by the executor.
 *
 * Container lifecycle: starting → init (import bundle; construct the class) → ready ⇄ busy → exit.
 */
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { decodeArgs, decodeInput, encodeOutput, encodeStructured } from "../core/codec.js";
import { CancelledError, RequestError, SDKUsageError, TimeoutError, toPlainError } from "../core/errors.js";
import { attemptFailureReason } from "../core/failures.js";
import { classInstance, invokeEntry, lookupFunction, registry, type FunctionEntry } from "../core/registry.js";
import { SchemaValidationError, validateSchema } from "../core/schema.js";
import { scopeStorage } from "../core/scope.js";
import { cleanStack, hideHostPath } from "../core/stack.js";
import type { ContainerTarget, RunMessage, ToContainer } from "../core/wire/container.js";
import { Channel } from "./channel.js";
import { childCpuMark, childCpuSince, trackChildProcesses } from "./child-cpu.js";
import { decodeInputFile } from "./input-file.js";
import { LazyAbort } from "./lazy-abort.js";
import { installLogMarks, markItem } from "./log-marks.js";
import { residentBytes } from "./resident.js";
import { createScope, type ContainerScope } from "./runtime.js";
import { openTransport } from "./transport.js";

// On an image's root the sandbox starts Node through its own loader (executor/backends/
// node-runtime.ts): Node processes the function starts must go the same way, through the wrapper.
if (process.env.TRIBUTARY_NODE) {
  process.execPath = process.env.TRIBUTARY_NODE;
  delete process.env.TRIBUTARY_NODE;
}

trackChildProcesses();
const transport = openTransport();
const ch = new Channel(transport);
installLogMarks();
// Booting (process start, sandbox set-up, the runtime's own modules) is not the function's time.
ch.send({ t: "booted" });
const aborts = new Map<string, LazyAbort>();
let target: ContainerTarget | null = null;
/** Items of a run (`runs`) not yet started, in order; one runs at a time. */
let queued: RunMessage[] = [];
let draining = false;

/** Runs the queued items of runs one after another; each `done` goes out as it ends. */
async function drain(): Promise<void> {
  if (draining) return;
  draining = true;
  try {
    for (let m = queued.shift(); m; m = queued.shift()) {
      markItem(m.attemptId);
      await run(m);
    }
  } finally {
    markItem(null);
    draining = false;
  }
}

// Nothing waits behind a call that waits: before a blocking call, the queued items go back.
ch.beforeBlocking = () => {
  if (!queued.length) return;
  const attemptIds = queued.map((m) => m.attemptId);
  queued = [];
  ch.send({ t: "dropped", attemptIds });
};

async function init(bundlePath: string, t: ContainerTarget): Promise<void> {
  // The bundle lives in the executor's data directory: stacks name it `bundle/…`, never the host path.
  hideHostPath(dirname(bundlePath), "bundle");
  try {
    await import(pathToFileURL(bundlePath).href);
    if (t.kind === "class") {
      const c = registry().classes.get(t.name);
      if (!c) throw new SDKUsageError(`class '${t.name}' is not defined in this application version`);
      await classInstance(c);
    } else if (!lookupFunction(t.name)) {
      throw new SDKUsageError(`function '${t.name}' is not defined in this application version`);
    }
    target = t;
    ch.send({ t: "ready", pid: process.pid });
  } catch (e) {
    ch.send({ t: "init-failed", error: toPlainError(e) });
  }
}

async function run(msg: RunMessage): Promise<void> {
  const cpuStart = process.cpuUsage();
  const childStart = childCpuMark();
  const ac = new LazyAbort();
  aborts.set(msg.attemptId, ac);
  const entry = lookupFunction(msg.functionName) as FunctionEntry | undefined;
  let scope: ContainerScope | undefined;
  try {
    if (!entry || !target) throw new SDKUsageError(`function '${msg.functionName}' is not hosted by this container`);
    let args: unknown[];
    if (msg.root) {
      const input = msg.argsFile
        ? decodeInputFile(msg.argsFile, msg.root.contentType, msg.root.inputDeserializer)
        : decodeInput(msg.args, msg.root.contentType ?? undefined, msg.root.inputDeserializer);
      args = input.present ? [input.value] : [];
      if (entry.app?.input) {
        try {
          args = [await validateSchema(entry.app.input, input.present ? input.value : undefined, "input")];
        } catch (e) {
          // Bad input is the caller's fault: retrying cannot help.
          if (e instanceof SchemaValidationError) throw new RequestError(e.message);
          throw e;
        }
      }
    } else {
      args = decodeArgs(msg.args);
    }
    scope = createScope(ch, msg, ac);
    let value = await scopeStorage().run(scope, () => invokeEntry(entry, args));
    if (msg.root) {
      if (entry.app?.output) value = await validateSchema(entry.app.output, value, "output");
      const out = encodeOutput(value, msg.root.outputSerializer);
      ch.send({
        t: "done",
        attemptId: msg.attemptId,
        ok: true,
        value: out.bytes,
        contentType: out.contentType,
        ...measure(cpuStart, childStart),
      });
    } else {
      ch.send({
        t: "done",
        attemptId: msg.attemptId,
        ok: true,
        value: encodeStructured(value, `result of ${msg.functionName}`),
        contentType: "",
        ...measure(cpuStart, childStart),
      });
    }
  } catch (e) {
    ch.send({
      t: "done",
      attemptId: msg.attemptId,
      ok: false,
      error: toPlainError(e, msg.functionName),
      reason: attemptFailureReason(e, ac),
      ...measure(cpuStart, childStart),
    });
  } finally {
    scope?.close();
    aborts.delete(msg.attemptId);
  }
}

/**
 * This process's own figures as the attempt finishes: its resident memory, and its CPU time since
 * the run began (µs, every thread) plus that of the child processes it reaped meanwhile (the
 * container runs one attempt at a time). The executor takes this as the attempt's CPU instead of a
 * `/proc` reading of its own at the end (see executor/limits/attempt-meter.ts).
 */
function measure(cpuStart: NodeJS.CpuUsage, childStart: number | null): { rss: number; cpuMicros: number } {
  const d = process.cpuUsage(cpuStart);
  return { rss: residentBytes(), cpuMicros: d.user + d.system + childCpuSince(childStart) };
}

transport.onMessage((msg: ToContainer) => {
  switch (msg.t) {
    case "init":
      void init(msg.bundlePath, msg.target);
      break;
    case "run":
      void run(msg);
      break;
    case "runs":
      queued.push(...msg.runs);
      void drain();
      break;
    case "reply":
      ch.onReply(msg);
      break;
    case "abort":
      queued = queued.filter((m) => m.attemptId !== msg.attemptId);
      // The running item is stopped and the container with it: its queue goes back first.
      if (aborts.has(msg.attemptId)) ch.beforeBlocking?.();
      aborts
        .get(msg.attemptId)
        ?.abort(
          msg.reason === "cancelled"
            ? new CancelledError("the request was cancelled")
            : new TimeoutError("the call ran past its timeout"),
        );
      break;
  }
});

// The executor going away means nobody will ever read our result: exit rather than linger.
transport.onClose(() => process.exit(0));
process.on("unhandledRejection", (e) => {
  process.stderr.write(
    `unhandled rejection in container: ${typeof (e as Error)?.stack === "string" ? cleanStack((e as Error).stack!) : String(e)}\n`,
  );
});
