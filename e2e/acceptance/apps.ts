// Applications of the server acceptance test (real `tributary server` + `tributary executor`).
// Imports only "tributary" and node built-ins. Functions report `process.pid` (their container) and
// append to files under the `dir` they are given, so the test can count runs and prove isolation.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { application, fn, isErrorNamed, RequestContext, Retries } from "tributary";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mark = (dir: string, file: string, line = String(process.pid)): void =>
  appendFileSync(join(dir, file), line + "\n");

// ---- nested calls, each in its own container ----------------------------------------------------

const acc_leaf = fn(async function acc_leaf(): Promise<number[]> {
  return [process.pid];
});
const acc_middle = fn(async function acc_middle(): Promise<number[]> {
  return [process.pid, ...(await acc_leaf())];
});
export const acc_nested = application(
  fn(async function acc_nested(): Promise<number[]> {
    return [process.pid, ...(await acc_middle())];
  }),
);

// ---- state shared across calls ------------------------------------------------------------------

const acc_state_child = fn(async function acc_state_child(): Promise<string> {
  const ctx = RequestContext.get();
  const seen = await ctx.state.get<string>("from_parent");
  await ctx.state.set("from_child", `child saw ${seen}`);
  return seen ?? "missing";
});
export const acc_state = application(
  fn(async function acc_state(value: string): Promise<{ childSaw: string; parentSaw: string | undefined }> {
    const ctx = RequestContext.get();
    await ctx.state.set("from_parent", value);
    const childSaw = await acc_state_child();
    return { childSaw, parentSaw: await ctx.state.get<string>("from_child") };
  }),
);

// ---- concurrency and map ------------------------------------------------------------------------

const acc_square = fn(async function acc_square(n: number): Promise<number> {
  return n * n;
});
export const acc_echo = application(
  fn(async function acc_echo(n: number): Promise<{ n: number; square: number }> {
    await sleep(100); // overlap the 20 requests for real
    return { n, square: await acc_square(n) };
  }),
);
export const acc_map = application(
  fn(async function acc_map(count: number): Promise<number[]> {
    return await acc_square.map(Array.from({ length: count }, (_, i) => i));
  }),
);

// ---- timeouts -----------------------------------------------------------------------------------

/** Sends no progress: killed after 1 s. */
export const acc_silent = application(
  fn({ timeout: 1 }, async function acc_silent(dir: string): Promise<string> {
    writeFileSync(join(dir, "silent.pid"), String(process.pid));
    await sleep(20_000);
    mark(dir, "silent-done");
    return "should have been killed";
  }),
);

/** Runs 3 s with a 1 s timeout, kept alive by progress every 250 ms. */
export const acc_chatty = application(
  fn({ timeout: 1 }, async function acc_chatty(): Promise<number> {
    const ctx = RequestContext.get();
    const start = Date.now();
    for (let i = 0; i < 12; i++) {
      await sleep(250);
      await ctx.progress.update(i + 1, 12, "still here");
    }
    return Date.now() - start;
  }),
);

// ---- retries and catchable failures -------------------------------------------------------------

/** Fails its first two attempts; the attempts file counts every run. */
export const acc_flaky = application(
  fn(
    { retries: new Retries({ maxRetries: 3, initialDelay: 0.05 }) },
    async function acc_flaky(dir: string): Promise<string> {
      mark(dir, "flaky-attempts");
      const n = readFileSync(join(dir, "flaky-attempts"), "utf8").split("\n").filter(Boolean).length;
      if (n < 3) throw new Error(`flaky attempt ${n}`);
      return `ok after ${n}`;
    },
  ),
);

const acc_thrower = fn(async function acc_thrower(): Promise<never> {
  throw new Error("child exploded");
});
const acc_too_slow = fn({ timeout: 1 }, async function acc_too_slow(): Promise<string> {
  await sleep(10_000);
  return "late";
});
export const acc_catcher = application(
  fn(async function acc_catcher(): Promise<string[]> {
    const caught: string[] = [];
    for (const call of [acc_thrower, acc_too_slow] as Array<() => Promise<unknown>>) {
      try {
        await call();
        caught.push("no error");
      } catch (e) {
        const name = ["FunctionError", "TimeoutError"].find((n) => isErrorNamed(e, n)) ?? "other";
        caught.push(`${name}: ${(e as Error).message}`);
      }
    }
    return caught;
  }),
);

// ---- cancellation -------------------------------------------------------------------------------

const acc_blocker = fn(async function acc_blocker(dir: string): Promise<string> {
  const ctx = RequestContext.get();
  // Synchronous append: the container may be killed right after the grace period.
  ctx.signal.addEventListener("abort", () => mark(dir, "aborted"));
  mark(dir, "blocker-started");
  await sleep(30_000);
  return "not cancelled";
});
const acc_later = fn(async function acc_later(dir: string): Promise<string> {
  mark(dir, "later-ran");
  return "later";
});
export const acc_cancellable = application(
  fn(async function acc_cancellable(dir: string): Promise<string> {
    await acc_blocker(dir);
    return await acc_later(dir);
  }),
);

// ---- liveness: parents blocked on children must not starve the children ---------------------------

/** Waits (bounded) for `<dir>/go`, so the test can get every parent running before any child. */
export const acc_gated_parent = application(
  fn(async function acc_gated_parent(dir: string): Promise<number> {
    mark(dir, "gated-parent-started");
    for (const end = Date.now() + 20_000; !existsSync(join(dir, "go")) && Date.now() < end;) await sleep(50);
    return await acc_square(3);
  }),
);
