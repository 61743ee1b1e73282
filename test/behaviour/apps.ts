/**
 * Every application of the behaviour suite, in one module. It is run by `runLocal` and deployed to a
 * real server, so it imports only "tributary" and node built-ins. Side effects are counted by the
 * suite's loopback recorder, whose namespace URL is the input's `dir` (recorder.ts): containers are
 * separate processes, so module variables cannot count across calls, and sandboxed ones cannot
 * write the host's files.
 */
import { randomUUID } from "node:crypto";
import {
  application,
  cls,
  fn,
  FunctionError,
  isErrorNamed,
  RequestContext,
  RequestError,
  Retries,
  TimeoutError,
  TributaryError,
} from "tributary";

/** Input of apps that count side effects: `dir` is a namespace of the suite's recorder (a URL). */
export interface DirInput {
  dir: string;
}

const fast = (maxRetries: number) => new Retries({ maxRetries, initialDelay: 0.05 });

/** Records one line under `<dir>/<name>` (see recorder.ts). */
export async function mark(dir: string, name: string): Promise<void> {
  const res = await fetch(`${dir}/${name}`, { method: "POST", body: "x" });
  if (!res.ok) throw new Error(`recorder answered ${res.status}`);
}

/** Lines recorded under `<dir>/<name>`. */
export async function count(dir: string, name: string): Promise<number> {
  return Number(await (await fetch(`${dir}/${name}`)).text());
}

/** Waits `ms`, or until `signal` aborts. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

// ---- retries ------------------------------------------------------------------------------------

export const bh_retry_fail = application(
  { retries: fast(3) },
  fn(async function bh_retry_fail(i: DirInput) {
    await mark(i.dir, "attempts");
    throw new Error("always fails");
  }),
);

export const bh_retry_third = application(
  { retries: fast(3) },
  fn(async function bh_retry_third(i: DirInput) {
    await mark(i.dir, "attempts");
    const n = await count(i.dir, "attempts");
    if (n < 3) throw new Error(`transient failure ${n}`);
    return `ok after ${n}`;
  }),
);

const bh_request_error_child = fn({ retries: fast(3) }, async function bh_request_error_child(i: DirInput) {
  await mark(i.dir, "child");
  throw new RequestError("bad input: the order has no items");
});

export const bh_request_error = application(
  { retries: fast(3) },
  fn(async function bh_request_error(i: DirInput) {
    await mark(i.dir, "root");
    return await bh_request_error_child(i);
  }),
);

// ---- timeouts -----------------------------------------------------------------------------------

/** Works `ms` in 200 ms steps, reporting progress after each when `report` is set. */
const bh_worker = fn({ timeout: 1 }, async function bh_worker(ms: number, report: boolean) {
  const ctx = RequestContext.get();
  for (let t = 0; t < ms && !ctx.signal.aborted; t += 200) {
    await pause(200, ctx.signal);
    if (report) await ctx.progress.update(t + 200, ms, "working");
  }
  return ms;
});

export const bh_timeout_progress = application(
  fn(async function bh_timeout_progress() {
    return await bh_worker(3000, true);
  }),
);

export const bh_timeout_caught = application(
  fn(async function bh_timeout_caught() {
    try {
      await bh_worker(3000, false);
      return { caught: null };
    } catch (e) {
      const err = e as Error & { functionName?: string };
      return { caught: err.name, isTimeout: isErrorNamed(e, "TimeoutError"), functionName: err.functionName ?? null };
    }
  }),
);

export const bh_timeout_uncaught = application(
  fn(async function bh_timeout_uncaught() {
    return await bh_worker(3000, false);
  }),
);

/** A user's own subclass of an SDK error: `instanceof` must keep ordinary semantics for it. */
class OrderRejected extends RequestError {}

const bh_broken = fn(async function bh_broken() {
  throw new Error("broken child");
});

const bh_rejecting = fn(async function bh_rejecting() {
  throw new OrderRejected("order rejected");
});

/**
 * `instanceof` on what a parent catches: in a container the runtime throws its own copy of the
 * classes, while this module's `FunctionError` and `TimeoutError` come from the bundle's copy.
 */
export const bh_instanceof = application(
  fn(async function bh_instanceof() {
    const out: Record<string, Record<string, boolean | string>> = {};
    try {
      await bh_broken();
    } catch (e) {
      out.failing = {
        functionError: e instanceof FunctionError,
        timeoutError: e instanceof TimeoutError,
        tributary: e instanceof TributaryError,
        message: (e as Error).message,
      };
    }
    try {
      await bh_worker(3000, false);
    } catch (e) {
      out.timingOut = {
        timeoutError: e instanceof TimeoutError,
        functionError: e instanceof FunctionError,
        tributary: e instanceof TributaryError,
      };
    }
    try {
      await bh_rejecting();
    } catch (e) {
      out.rejected = { requestError: e instanceof RequestError, subclass: e instanceof OrderRejected };
    }
    const own = new OrderRejected("mine");
    out.own = {
      subclass: own instanceof OrderRejected,
      requestError: own instanceof RequestError,
      sdkIsSubclass: new RequestError("x") instanceof OrderRejected,
      name: own.name,
    };
    return out;
  }),
);

export const bh_pause_parent = application(
  fn({ timeout: 1 }, async function bh_pause_parent() {
    // 2.5 s of child work, longer than this function's 1 s timeout: the clock is paused meanwhile.
    return await bh_worker(2500, true);
  }),
);

// ---- deadlines ----------------------------------------------------------------------------------

/** Saves a checkpoint in its deadline handler, then hangs until its 3 s timeout kills it. */
const bh_checkpointer = fn({ timeout: 3 }, async function bh_checkpointer(cursor: number) {
  const ctx = RequestContext.get();
  const left = ctx.deadline === null ? -1 : ctx.deadline - Date.now();
  ctx.onDeadline(async () => {
    await ctx.state.set("checkpoint", { cursor, deadlineAtStart: left > 2000 && left <= 3000 });
  });
  await pause(60_000, ctx.signal);
  return "never";
});

export const bh_deadline_checkpoint = application(
  fn(async function bh_deadline_checkpoint() {
    try {
      await bh_checkpointer(7);
      return { caught: null };
    } catch (e) {
      return { caught: (e as Error).name, checkpoint: await RequestContext.get().state.get("checkpoint", null) };
    }
  }),
);

/** Never reports progress itself; its deadline handler does, 400 ms ahead of each 1 s deadline. */
const bh_kept_alive = fn({ timeout: 1 }, async function bh_kept_alive() {
  const ctx = RequestContext.get();
  let runs = 0;
  ctx.onDeadline(
    async () => {
      runs++;
      await ctx.progress.update(runs, 100, "still working");
    },
    { beforeMs: 400 },
  );
  await pause(3500, ctx.signal);
  return runs;
});

export const bh_deadline_keepalive = application(
  fn(async function bh_deadline_keepalive() {
    return await bh_kept_alive();
  }),
);

// ---- boundary copies ----------------------------------------------------------------------------

const bh_mutator = fn(async function bh_mutator(o: { list: number[]; nested: { a: number } }) {
  o.list.push(99);
  o.nested.a = 42;
  return o;
});

export const bh_mutate = application(
  fn(async function bh_mutate() {
    const mine = { list: [1, 2, 3], nested: { a: 1 } };
    const returned = await bh_mutator(mine);
    returned.list.push(100);
    return { mine, returned };
  }),
);

const bh_echo = fn(async function bh_echo(v: unknown) {
  return v;
});

function describeValue(v: {
  map: Map<string, number>;
  set: Set<number>;
  date: Date;
  big: bigint;
  bytes: Uint8Array;
  floats: Float64Array;
  self?: unknown;
}) {
  return {
    map: v.map instanceof Map && v.map.get("a") === 1,
    set: v.set instanceof Set && v.set.has(2),
    date: v.date instanceof Date && v.date.toISOString() === "2024-01-02T03:04:05.000Z",
    big: typeof v.big === "bigint" && v.big === 2n ** 70n,
    bytes: v.bytes instanceof Uint8Array && v.bytes[2] === 3,
    floats: v.floats instanceof Float64Array && v.floats[1] === 2.5,
    cycle: v.self === v,
  };
}

export const bh_structured = application(
  fn(async function bh_structured() {
    const value: Parameters<typeof describeValue>[0] = {
      map: new Map([["a", 1]]),
      set: new Set([1, 2]),
      date: new Date("2024-01-02T03:04:05.000Z"),
      big: 2n ** 70n,
      bytes: new Uint8Array([1, 2, 3]),
      floats: new Float64Array([1, 2.5]),
    };
    value.self = value;
    const back = (await bh_echo(value)) as typeof value;
    return { ...describeValue(back), copy: back !== value };
  }),
);

export const bh_serialization = application(
  fn(async function bh_serialization() {
    try {
      await bh_echo({ callback: () => 1 });
      return { caught: null };
    } catch (e) {
      return {
        caught: (e as Error).name,
        isSerialization: isErrorNamed(e, "SerializationError"),
        message: (e as Error).message,
      };
    }
  }),
);

// ---- classes ------------------------------------------------------------------------------------

let constructions = 0;

@cls()
class BhCounter {
  readonly instanceId = randomUUID();
  readonly nth = ++constructions;
  @fn()
  async bump(i: number): Promise<{ i: number; instanceId: string; constructions: number }> {
    return { i, instanceId: this.instanceId, constructions: this.nth };
  }
}

export const bh_class = application(
  fn(async function bh_class() {
    const out = [];
    for (let i = 0; i < 5; i++) out.push(await new BhCounter().bump(i));
    return out;
  }),
);

// ---- request context ----------------------------------------------------------------------------

const bh_state_reader = fn(async function bh_state_reader() {
  const ctx = RequestContext.get();
  const user = await ctx.state.get<{ name: string; tags: Set<string> }>("user_data");
  return {
    name: user?.name ?? null,
    tagsIsSet: user?.tags instanceof Set && user.tags.has("x"),
    processed: await ctx.state.get("processed"),
    missing: await ctx.state.get("missing", "fallback"),
    missingNoDefault: (await ctx.state.get("missing")) === undefined,
    sameRequest: ctx.requestId,
  };
});

export const bh_state = application(
  fn(async function bh_state() {
    const ctx = RequestContext.get();
    const user = { name: "Ada", tags: new Set(["x"]) };
    await ctx.state.set("user_data", user);
    user.name = "mutated after set";
    await ctx.state.set("processed", true);
    const read = await bh_state_reader();
    return { ...read, sameRequest: read.sameRequest === ctx.requestId };
  }),
);

export const bh_progress = application(
  fn(async function bh_progress() {
    const ctx = RequestContext.get();
    for (let i = 0; i < 5; i++) await ctx.progress.update(i + 1, 5, `step ${i + 1}`, { stage: "s" + (i + 1) });
    return 5;
  }),
);

/** Ten steps, 20 ms apart, each reported. */
const bh_stepper = fn(async function bh_stepper(k: number) {
  const ctx = RequestContext.get();
  for (let i = 1; i <= 10; i++) {
    await pause(20);
    await ctx.progress.update(i, 10, `child ${k} step ${i}`);
  }
  return k;
});

/** Only fans out: its progress is its children's. */
export const bh_fanout_progress = application(
  fn(async function bh_fanout_progress() {
    return await Promise.all([1, 2, 3, 4].map((k) => bh_stepper(k)));
  }),
);

export const bh_metrics = application(
  fn(async function bh_metrics() {
    const ctx = RequestContext.get();
    ctx.metrics.counter("items_processed", 3);
    ctx.metrics.counter("items_processed", 2);
    ctx.metrics.counter("calls");
    ctx.metrics.timer("processing_time", 0.25);
    return "recorded";
  }),
);

// ---- call trees ---------------------------------------------------------------------------------

const bh_thrower = fn(async function bh_thrower(message: string) {
  throw new Error(message);
});

export const bh_catch = application(
  fn(async function bh_catch() {
    try {
      await bh_thrower("kaboom from the child");
      return null;
    } catch (e) {
      const err = e as Error & { functionName?: string; childStack?: string };
      return {
        name: err.name,
        isFunctionError: isErrorNamed(e, "FunctionError"),
        message: err.message,
        functionName: err.functionName ?? null,
        childStackMentionsChild: typeof err.childStack === "string" && err.childStack.includes("kaboom from the child"),
      };
    }
  }),
);

const bh_level3 = fn(async function bh_level3(s: string) {
  return s + "-3";
});
const bh_level2 = fn(async function bh_level2(s: string) {
  return await bh_level3(s + "-2");
});
export const bh_nested = application(
  fn(async function bh_nested(s: string) {
    return await bh_level2(s + "-1");
  }),
);

const bh_square = fn(async function bh_square(n: number) {
  return n * n;
});

export const bh_fanout = application(
  fn(async function bh_fanout(n: number) {
    return await Promise.all(Array.from({ length: n }, (_, i) => bh_square(i)));
  }),
);

export const bh_map = application(
  fn(async function bh_map(n: number) {
    return await bh_square.map(Array.from({ length: n }, (_, i) => i));
  }),
);

const bh_add = fn(async function bh_add(acc: string, item: string) {
  return acc + item;
});

export const bh_reduce = application(
  fn(async function bh_reduce(i: { items: string[]; initial?: string }) {
    return "initial" in i ? await bh_add.reduce(i.items, i.initial) : await bh_add.reduce(i.items);
  }),
);

// ---- cancellation -------------------------------------------------------------------------------

const bh_cancel_child = fn(async function bh_cancel_child(i: DirInput) {
  const ctx = RequestContext.get();
  await mark(i.dir, "started");
  for (let n = 1; !ctx.signal.aborted && n < 300; n++) {
    await ctx.progress.update(n, 300, "waiting to be cancelled");
    await pause(100, ctx.signal);
  }
  await mark(i.dir, ctx.signal.aborted ? "aborted" : "not-aborted");
  return "done";
});
const bh_after_cancel = fn(async function bh_after_cancel(i: DirInput) {
  await mark(i.dir, "after");
});

export const bh_cancel = application(
  fn(async function bh_cancel(i: DirInput) {
    await bh_cancel_child(i);
    await bh_after_cancel(i);
    return "finished";
  }),
);

// ---- replay -------------------------------------------------------------------------------------

const bh_replay_child = fn(async function bh_replay_child(i: DirInput & { k: number }) {
  await mark(i.dir, `child-${i.k}`);
  return i.k * 10;
});

export const bh_replay = application(
  { retries: fast(2) },
  fn(async function bh_replay(i: DirInput) {
    const a = await bh_replay_child({ ...i, k: 1 });
    const b = await bh_replay_child({ ...i, k: 2 });
    await mark(i.dir, "parent");
    if ((await count(i.dir, "parent")) < 2) throw new Error("parent fails after two children succeeded");
    return a + b;
  }),
);

export const bh_nondeterminism = application(
  { retries: fast(3) },
  fn(async function bh_nondeterminism(i: DirInput) {
    await mark(i.dir, "attempts");
    if ((await count(i.dir, "attempts")) === 1) {
      await bh_square(2);
      throw new Error("first attempt fails after calling bh_square");
    }
    return await bh_level3("a different function at the same position");
  }),
);

let flips = 0;
/** Asks for a different function on every run: only an always-replay check can notice. */
export const bh_flip = application(
  fn(async function bh_flip() {
    return ++flips % 2 === 1 ? await bh_square(3) : await bh_level3("x");
  }),
);
