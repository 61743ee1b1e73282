/**
 * The SQLite store's own cost of one trivial request, without server, executor or HTTP:
 *
 *   node dist/bench/store-micro.js [n=4000] [batch=32] [warm=2000] [fill=0] [pages=400]
 *
 * Drives the store (group commit and checkpoint worker on, as a server opens it) through the writes
 * the engine makes for a trivial request (src/engine/requests.ts, attempts.ts): `createRequest`
 * with its root call and two events, `startAttempt` in the same tick (they share a commit), then
 * `finishAttempt` with the call's and the request's finish and three events. `batch=32` issues, in
 * each tick, 32 new requests and the finishes of the previous tick's 32, as 32 concurrent clients
 * would (one commit per tick); `batch=1` is one client (two commits per request: create and start,
 * then finish).
 *
 * Prints one JSON line: CPU µs per request of the main thread (from /proc, 10 ms ticks) and of the
 * whole process (the checkpoint worker included), then WAL pages written per commit and per request,
 * counted in a second, shorter run (`pages` requests) from the WAL's frame count after each commit.
 * `fill` first clones that many finished requests into the file (bench/fill.ts), for deep B-trees.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { timeOrderedId } from "../src/core/ids.js";
import { rootCallId } from "../src/core/durable-id.js";
import { createSqliteStore } from "../src/store/sqlite/index.js";
import type { NewEvent, Payload, Store } from "../src/store/types.js";
import { fillFinishedRequests } from "./fill.js";

const arg = (name: string, dflt: number): number => {
  const a = process.argv.slice(2).find((x) => x.startsWith(`${name}=`));
  return a ? Number(a.slice(name.length + 1)) : dflt;
};

const payload = (text: string): Payload => {
  const inline = new TextEncoder().encode(text);
  return { contentType: "application/json", size: inline.byteLength, inline, blobKey: null };
};
const INPUT = payload("null");
const RESULT = payload('"hello from trivial"');

interface Req {
  id: string;
  root: string;
  attempt: string;
}

/** `createRequest` + `startAttempt` of a new request, issued in the caller's tick. */
function begin(store: Store, now: number): { req: Req; done: Promise<unknown>[] } {
  const id = timeOrderedId(now);
  const root = rootCallId(id, "trivial");
  const req = { id, root, attempt: timeOrderedId(now) };
  const events: NewEvent[] = [
    { kind: "request:started", at: now },
    { kind: "call:created", at: now, callId: root, parentCallId: null, functionName: "trivial" },
  ];
  const request = { id, namespace: "default", application: "trivial", version: 1, input: INPUT };
  const created = store.createRequest(
    { ...request, idempotencyKey: null, inputHash: null, rootCallId: root, createdAt: now },
    {
      id: root,
      requestId: id,
      parentCallId: null,
      seq: 0,
      item: 0,
      functionName: "trivial",
      args: INPUT,
      notBefore: now,
      createdAt: now,
    },
    events,
  );
  const started = store.startAttempt(
    { id: req.attempt, callId: root, requestId: id, number: 1, executorId: "ex-1", containerId: null, startedAt: now },
    { attemptsUsed: 1, infraRetries: 0 },
    [
      {
        kind: "attempt:started",
        at: now,
        callId: root,
        functionName: "trivial",
        attempt: 1,
        data: { executor_id: "ex-1" },
      },
    ],
  );
  return { req, done: [created, started.then((e) => e ?? Promise.reject(new Error("start refused")))] };
}

/** `finishAttempt` of a started request: succeeded, with its call and the request. */
function end(store: Store, r: Req, now: number): Promise<unknown> {
  const usage = {
    wallSeconds: 0.002,
    cpuSeconds: 0.001,
    peakMemoryBytes: 5e7,
    memoryGbSeconds: 0.001,
    containerStarted: false,
  };
  const at = { at: now, callId: r.root, functionName: "trivial" };
  const status = "succeeded" as const;
  return store
    .finishAttempt(
      r.attempt,
      { status, failureReason: null, error: null, finishedAt: now, containerId: "c-1", usage },
      { status, result: RESULT, finishedAt: now },
      { status, output: RESULT, finishedAt: now },
      [
        { kind: "attempt:succeeded", ...at, attempt: 1 },
        { kind: "call:finished", ...at, data: { status } },
        { kind: "request:finished", at: now, data: { status, outcome: "success", failureReason: null, error: null } },
      ],
    )
    .then((e) => e ?? Promise.reject(new Error("finish refused")));
}

/**
 * `n` requests in ticks of `batch` (each tick: `batch` new ones and the previous tick's finishes);
 * the number of commits. `afterCommit` runs after each one.
 */
async function drive(store: Store, n: number, batch: number, afterCommit?: () => void): Promise<number> {
  let open: Req[] = [];
  let commits = 0;
  for (let i = 0; i < n || open.length;) {
    const now = Date.now();
    const ps: Promise<unknown>[] = [];
    for (const r of open) ps.push(end(store, r, now));
    if (batch === 1 && ps.length) {
      // One client: its request's finish commits before its next request starts.
      await Promise.all(ps.splice(0));
      afterCommit?.();
      commits++;
      open = [];
      continue;
    }
    const fresh: Req[] = [];
    for (let k = 0; k < batch && i < n; k++, i++) {
      const b = begin(store, now);
      fresh.push(b.req);
      ps.push(...b.done);
    }
    await Promise.all(ps);
    afterCommit?.();
    commits++;
    open = fresh;
  }
  return commits;
}

/** utime + stime of this process's main thread, in µs (10 ms resolution). */
function mainThreadCpuUs(): number {
  const text = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10_000;
}

async function main(): Promise<void> {
  const n = arg("n", 4000);
  const batch = arg("batch", 32);
  const warm = arg("warm", 2000);
  const fill = arg("fill", 0);
  const pagesN = arg("pages", 400);
  const dir = mkdtempSync(join(tmpdir(), "store-micro-"));
  const path = join(dir, "db.sqlite");
  try {
    let store = createSqliteStore(path);
    await drive(store, warm, batch);
    if (fill > 0) {
      await store.close();
      fillFinishedRequests(path, fill);
      store = createSqliteStore(path);
      await drive(store, warm, batch);
    }
    const cpu0 = process.cpuUsage();
    const main0 = mainThreadCpuUs();
    const t0 = performance.now();
    await drive(store, n, batch);
    const wallMs = performance.now() - t0;
    const mainUs = (mainThreadCpuUs() - main0) / n;
    const cpu = process.cpuUsage(cpu0);
    const processUs = (cpu.user + cpu.system) / n;

    // Pages: the WAL's last frame (`mxFrame` in the wal-index header, at byte 16 of the -shm file,
    // native byte order) after each commit. A commit that finds the WAL checkpointed restarts it
    // from frame 1, so a smaller figure than before means "all new".
    const shm = openSync(`${path}-shm`, "r");
    const word = Buffer.alloc(4);
    const lastFrame = (): number => (readSync(shm, word, 0, 4, 16), word.readUInt32LE(0));
    let frames = 0;
    let before = lastFrame();
    const commits = await drive(store, pagesN, batch, () => {
      const now = lastFrame();
      frames += now >= before ? now - before : now;
      before = now;
    });
    closeSync(shm);
    await store.close();
    const round = (x: number): number => Math.round(x * 10) / 10;
    console.log(
      JSON.stringify({
        n,
        batch,
        fill,
        mainThreadUsPerRequest: round(mainUs),
        processUsPerRequest: round(processUs),
        wallUsPerRequest: round((wallMs * 1000) / n),
        pagesPerCommit: round(frames / commits),
        pagesPerRequest: round(frames / pagesN),
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
