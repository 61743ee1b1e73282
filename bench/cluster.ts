/**
 * Starts the system under test as child processes (bench/serve.ts): one server, one executor.
 * Containers are the executor's own children. Everything started here is stopped by `stop()`, and
 * killed outright (process group) if a graceful stop does not finish in time.
 */
import { fork, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FromServe, ToServe } from "./protocol.js";

const SERVE = fileURLToPath(new URL("./serve.js", import.meta.url));

export interface BenchClusterOptions {
  /** Directory holding blobs/ and executor/ (and the SQLite file, for a SQLite store). */
  dir: string;
  /** The store URL the server opens (`sqlite:PATH`, `postgres://…`). */
  store: string;
  /** CPUs the executor declares. */
  cpu: number;
  /** Directory for a `--cpu-prof` of the server process, or null. */
  serverProfileDir?: string | null;
  /** Directory for a `--cpu-prof` of the executor process, or null. */
  executorProfileDir?: string | null;
  /**
   * `dev` (default): server and executor in one process over the in-process link, as `tributary dev`
   * and single-machine deployments run. `split`: two processes joined by the executor WebSocket.
   */
  topology?: "dev" | "split";
}

export interface BenchCluster {
  url: string;
  serverPid: number;
  executorStats(): Promise<{ started: number; reused: number; coldStartsMs: number[]; backend?: string }>;
  stop(): Promise<void>;
}

function start(
  args: string[],
  execArgv: string[],
): Promise<{ child: ChildProcess; ready: Extract<FromServe, { t: "ready" }> }> {
  // detached: the child leads its own process group, so a final kill reaches its containers too.
  const child = fork(SERVE, args, { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"], detached: true });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve ${args[0]} not ready in 30 s`)), 30_000);
    child.on("message", (m: FromServe) => {
      if (m.t === "ready") {
        clearTimeout(timer);
        resolve({ child, ready: m });
      } else if (m.t === "error") {
        clearTimeout(timer);
        reject(new Error(`serve ${args[0]}: ${m.message}`));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`serve ${args[0]} exited (${code}) before it was ready`));
    });
  });
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.send({ t: "stop" } satisfies ToServe);
  const timer = setTimeout(() => killGroup(child), graceMs);
  await exited;
  clearTimeout(timer);
  // Anything of its group still alive (an orphaned container) goes too.
  killGroup(child);
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, "SIGKILL");
  } catch {
    /* already gone */
  }
}

/** The blob directory, or "-" for a PostgreSQL store: its blobs then live in the database (the default). */
function blobsArg(o: BenchClusterOptions): string {
  return o.store.startsWith("postgres") ? "-" : join(o.dir, "blobs");
}

export async function startBenchCluster(o: BenchClusterOptions): Promise<BenchCluster> {
  const profArgs = o.serverProfileDir ? ["--cpu-prof", `--cpu-prof-dir=${o.serverProfileDir}`] : [];
  if ((o.topology ?? "dev") === "dev") return startDev(o, profArgs);
  const server = await start(["server", o.store, blobsArg(o)], profArgs);
  const url = server.ready.url!;
  let executor: ChildProcess;
  try {
    const exProf = o.executorProfileDir ? ["--cpu-prof", `--cpu-prof-dir=${o.executorProfileDir}`] : [];
    executor = (await start(["executor", url, join(o.dir, "executor"), String(o.cpu)], exProf)).child;
  } catch (e) {
    await stopChild(server.child, 5000);
    throw e;
  }
  return {
    url,
    serverPid: server.ready.pid,
    executorStats: statsOf(executor),
    async stop() {
      // Executor first: it drains its containers while the server can still hear it.
      await stopChild(executor, 15_000);
      await stopChild(server.child, 15_000);
    },
  };
}

/** Asks the process running the executor for its container statistics. */
function statsOf(child: ChildProcess): BenchCluster["executorStats"] {
  let nextId = 1;
  return () => {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("executor stats: no answer in 5 s")), 5000);
      const on = (m: FromServe): void => {
        if (m.t === "stats" && m.id === id) {
          clearTimeout(timer);
          child.off("message", on);
          resolve(m);
        }
      };
      child.on("message", on);
      child.send({ t: "stats", id } satisfies ToServe);
    });
  };
}

async function startDev(o: BenchClusterOptions, profArgs: string[]): Promise<BenchCluster> {
  const { child, ready } = await start(["dev", o.store, blobsArg(o), join(o.dir, "executor"), String(o.cpu)], profArgs);
  return {
    url: ready.url!,
    serverPid: ready.pid,
    executorStats: statsOf(child),
    stop: () => stopChild(child, 15_000),
  };
}

/** Resident set size of a process, in bytes (VmRSS), or its peak (VmHWM). */
export function rssOf(pid: number, field: "VmRSS" | "VmHWM" = "VmRSS"): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Resets a process's peak RSS (VmHWM) to its current RSS; false where the kernel refuses. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}
