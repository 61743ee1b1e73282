/**
 * The fault-injection harness: real `tributary server` and `tributary executor` processes on
 * loopback that tests can kill with SIGKILL and restart on the same data, plus helpers to wait for
 * side-effect files. Every process started here is killed by `stopAll()` (by process group).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as netServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../../bin/tributary.js", import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = netServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
  everyMs = 25,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function lines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, "utf8").split("\n").filter(Boolean) : [];
}

export interface Proc {
  child: ChildProcess;
  output: () => string;
  /** SIGKILL to the whole process group (the process and any container it started). */
  kill9(group?: boolean): Promise<void>;
}

/** Starts `tributary <args>` (in `cwd` when given); `stopAll()` kills it. */
export function startTributary(args: string[], env: Record<string, string>, cwd?: string): Proc {
  let out = "";
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    ...(cwd ? { cwd } : {}),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const proc: Proc = {
    child,
    output: () => out,
    async kill9(group = true) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      try {
        if (group) process.kill(-child.pid!, "SIGKILL");
        else child.kill("SIGKILL");
      } catch {
        /* already gone */
      }
      await exited;
    },
  };
  all.add(proc);
  return proc;
}

const all = new Set<Proc>();

/** Kills every process this harness started (and their groups). */
export async function stopAll(): Promise<void> {
  await Promise.all([...all].map((p) => p.kill9(true)));
  all.clear();
}

export interface Deployment {
  dir: string;
  port: number;
  url: string;
  server: Proc | null;
  startServer(): Promise<Proc>;
  /** Starts an executor on a new data directory, or on `dataName`'s (a restart on the same data). */
  startExecutor(extra?: string[], dataName?: string): Promise<Proc>;
  cleanup(): Promise<void>;
}

/** A data directory, a port, and functions to (re)start a server and executors on them. */
export async function deployment(env: Record<string, string> = {}): Promise<Deployment> {
  const dir = mkdtempSync(join(tmpdir(), "tributary-fault-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let n = 0;
  const d: Deployment = {
    dir,
    port,
    url,
    server: null,
    async startServer() {
      const p = startTributary(
        [
          "server",
          "--port",
          String(port),
          "--store",
          `sqlite:${join(dir, "db.sqlite")}`,
          "--blobs",
          join(dir, "blobs"),
        ],
        env,
      );
      d.server = p;
      await waitFor(`server on ${url}\n${p.output()}`, async () => {
        if (p.child.exitCode !== null) throw new Error(`server exited: ${p.output()}`);
        try {
          return (await fetch(`${url}/healthz`)).ok;
        } catch {
          return false;
        }
      });
      return p;
    },
    async startExecutor(extra = [], dataName) {
      // The process backend unless asked otherwise: these apps count side effects in host files and
      // report their pids to be killed, which sandboxed containers cannot do.
      const backend = extra.includes("--backend") ? [] : ["--backend", "process"];
      const p = startTributary(
        [
          "executor",
          "--server",
          url,
          "--data",
          join(dir, dataName ?? `executor-${n++}`),
          "--cpu",
          "8",
          ...backend,
          ...extra,
        ],
        env,
      );
      return p;
    },
    async cleanup() {
      await stopAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return d;
}
