/**
 * The thread that reads handler types for deploy (derive.ts), and the client side that talks to it.
 *
 * Why a thread: loading the TypeScript compiler and reading a program costs about a second of CPU
 * on an idle machine (much more on a busy one), several times the bundling itself. On its own thread
 * it runs while esbuild bundles and the manifest is extracted, so a deploy waits for the longer of
 * the two, not their sum. One thread serves the whole process and stays loaded (unref'd, so it never
 * keeps the process alive): `tributary dev` redeploys and test processes reuse its parsed libraries.
 */
import { isMainThread, parentPort, Worker } from "node:worker_threads";
import type { DerivedTypes } from "./derive.js";

interface Ask {
  id: number;
  entry: string;
  modulePaths: Record<string, string>;
}
type Answer = { id: number; types: [string, DerivedTypes][] } | { id: number; error: string };

if (!isMainThread && parentPort) {
  const port = parentPort;
  const { deriveTypes } = await import("./derive.js");
  port.on("message", (m: Ask) => {
    try {
      port.postMessage({ id: m.id, types: [...deriveTypes(m.entry, m.modulePaths)] } satisfies Answer);
    } catch (e) {
      port.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) } satisfies Answer);
    }
  });
}

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, { resolve: (t: Map<string, DerivedTypes>) => void; reject: (e: Error) => void }>();

function thread(): Worker {
  if (worker) return worker;
  const w = new Worker(new URL(import.meta.url));
  w.unref();
  w.on("message", (a: Answer) => {
    const p = pending.get(a.id);
    if (!p) return;
    pending.delete(a.id);
    if ("error" in a) p.reject(new Error(a.error));
    else p.resolve(new Map(a.types));
    if (pending.size === 0) w.unref();
  });
  const fail = (e: Error): void => {
    worker = null;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  w.on("error", fail);
  w.on("exit", (code) => fail(new Error(`the type reader stopped (exit code ${code})`)));
  worker = w;
  return w;
}

/**
 * Derives the types of `entry`'s exported handlers on the type thread; rejects after `timeoutMs`.
 *
 * @example
 * const types = await deriveTypesInThread("app.ts", { tributary: "/…/index.d.ts" });
 */
export function deriveTypesInThread(
  entry: string,
  modulePaths: Record<string, string>,
  timeoutMs = 60_000,
): Promise<Map<string, DerivedTypes>> {
  const w = thread();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new Error(`reading the types took longer than ${timeoutMs / 1000} s`));
    }, timeoutMs);
    timer.unref();
    const done =
      <T>(f: (v: T) => void) =>
      (v: T): void => {
        clearTimeout(timer);
        f(v);
      };
    pending.set(id, { resolve: done(resolve), reject: done(reject) });
    // Referenced while a question is open, so a CLI waiting on the answer does not exit early.
    w.ref();
    w.postMessage({ id, entry, modulePaths } satisfies Ask);
  });
}
