/**
 * The writes the engine makes for one trivial request (src/engine/requests.ts, attempts.ts,
 * call-end.ts), shared by the store micro-benchmarks (bench/store-micro.ts for SQLite,
 * bench/store-micro-pg.ts for PostgreSQL): `begin` = `createRequest` with its root call and two
 * events plus `startAttempt` in the same tick (they share a commit); `end` = `finishAttempt` with
 * the call's and the request's finish and three events; `drive` issues them in ticks of `batch` as
 * concurrent clients would.
 */
import { readFileSync } from "node:fs";
import { timeOrderedId } from "../src/core/ids.js";
import { rootCallId } from "../src/core/durable-id.js";
import type { RequestEvent } from "../src/core/request.js";
import type { NewEvent, Payload, Store } from "../src/store/types.js";

export const arg = (name: string, dflt: number): number => {
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

/**
 * `createRequest` + `startAttempt` of a new request, issued in the caller's tick; with `apart`,
 * the start is issued when the create has committed, as the engine does when its root call waits
 * for a container (PostgreSQL then runs them as two statements: fusion.ts).
 */
export function begin(store: Store, now: number, apart = false): { req: Req; done: Promise<unknown>[] } {
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
  const start = (): Promise<RequestEvent[] | null | "full"> =>
    store.startAttempt(
      {
        id: req.attempt,
        callId: root,
        requestId: id,
        number: 1,
        executorId: "ex-1",
        containerId: null,
        startedAt: now,
      },
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
  const started = apart ? created.then(start) : start();
  return { req, done: [created, started.then((e) => e ?? Promise.reject(new Error("start refused")))] };
}

/** `finishAttempt` of a started request: succeeded, with its call and the request. */
export function end(store: Store, r: Req, now: number): Promise<unknown> {
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
export async function drive(
  store: Store,
  n: number,
  batch: number,
  afterCommit?: () => void,
  apart = false,
): Promise<number> {
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
      const b = begin(store, now, apart);
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
export function mainThreadCpuUs(): number {
  const text = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10_000;
}

/** CPU and wall µs per request of `n` requests driven in ticks of `batch`, rounded to 0.1. */
export async function measure(
  store: Store,
  n: number,
  batch: number,
  apart = false,
): Promise<{ mainThreadUsPerRequest: number; processUsPerRequest: number; wallUsPerRequest: number }> {
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuUs();
  const t0 = performance.now();
  await drive(store, n, batch, undefined, apart);
  const wallMs = performance.now() - t0;
  const mainUs = (mainThreadCpuUs() - main0) / n;
  const cpu = process.cpuUsage(cpu0);
  const round = (x: number): number => Math.round(x * 10) / 10;
  return {
    mainThreadUsPerRequest: round(mainUs),
    processUsPerRequest: round((cpu.user + cpu.system) / n),
    wallUsPerRequest: round((wallMs * 1000) / n),
  };
}
