/**
 * The machine's floor, measured before the workloads (issue 15 compares Tributary with it): a
 * child-process IPC round trip, an HTTP keep-alive round trip to another process, and a SQLite WAL
 * commit. No Tributary code runs here; the figures say what one hop or one commit costs on this
 * machine at this moment, so a later reader can tell a slow machine from a slow change.
 *
 * Each figure is the median of 5 batches (a batch's mean), so one preempted batch does not move it.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { quantile } from "./stats.js";
import type { Row } from "./results.js";

const BATCHES = 5;

/** Median over `BATCHES` of the mean time (ms) of `n` sequential runs of `once`. */
async function medianOfBatches(n: number, once: () => Promise<void> | void): Promise<number> {
  const means: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await once();
    means.push((performance.now() - t0) / n);
  }
  return quantile(means, 0.5);
}

/** A child process that runs `code` (ESM) and says "ready" once it listens; killed by `stop`. */
async function child(code: string): Promise<{ proc: ChildProcess; ready: unknown; stop: () => void }> {
  const proc = fork("--input-type=module", ["-e", code], {
    execArgv: [],
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const ready = await new Promise<unknown>((resolve, reject) => {
    proc.once("message", resolve);
    proc.once("exit", (c) => reject(new Error(`calibration child exited with ${c}`)));
  });
  return { proc, ready, stop: () => void proc.kill("SIGKILL") };
}

async function ipcRoundTrip(): Promise<number> {
  const c = await child(`process.send("ready"); process.on("message", (m) => process.send(m));`);
  try {
    const msg = { t: "run", id: "0123456789abcdef", args: "x".repeat(64) };
    return await medianOfBatches(
      2_000,
      () =>
        new Promise<void>((resolve) => {
          c.proc.once("message", () => resolve());
          c.proc.send(msg);
        }),
    );
  } finally {
    c.stop();
  }
}

async function httpRoundTrip(): Promise<number> {
  const c = await child(
    `import { createServer } from "node:http";
     const s = createServer((req, res) => { req.resume(); req.on("end", () => res.end('{"ok":true}')); });
     s.listen(0, "127.0.0.1", () => process.send(s.address().port));`,
  );
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const port = c.ready as number;
    const once = (): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, method: "POST", path: "/", agent }, (res) => {
          res.resume();
          res.on("end", () => resolve());
        });
        req.on("error", reject);
        req.end("null");
      });
    for (let i = 0; i < 200; i++) await once(); // warm both sides up
    return await medianOfBatches(1_000, once);
  } finally {
    agent.destroy();
    c.stop();
  }
}

function sqliteCommit(): number {
  const dir = mkdtempSync(join(tmpdir(), "tributary-calibrate-"));
  const db = new Database(join(dir, "c.sqlite"));
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
    const tx = db.transaction(() => insert.run("x".repeat(100)));
    const means: number[] = [];
    for (let b = 0; b < BATCHES; b++) {
      const t0 = performance.now();
      for (let i = 0; i < 2_000; i++) tx.immediate();
      means.push((performance.now() - t0) / 2_000);
    }
    return quantile(means, 0.5);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The floor's rows (backend "machine"): IPC and HTTP round trips, a SQLite commit, in ms. */
export async function calibrate(): Promise<Row[]> {
  const row = (figure: string, value: number, note: string): Row => ({
    backend: "machine",
    workload: "floor (no Tributary code)",
    figure,
    value,
    unit: "ms",
    shown: `${(value * 1000).toFixed(0)} µs`,
    target: "",
    met: null,
    note,
  });
  return [
    row("child-process IPC round trip", await ipcRoundTrip(), "fork() + process.send, JSON, 2,000 × 5"),
    row("HTTP keep-alive round trip", await httpRoundTrip(), "node:http client → node:http server in another process"),
    row("SQLite WAL commit (one insert)", sqliteCommit(), "better-sqlite3, synchronous=NORMAL, 2,000 × 5"),
  ];
}
