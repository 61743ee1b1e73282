// Applications for the fault tests: every function counts its runs in files under `dir`, so a test
// can prove that finished calls never ran again.
import { appendFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { application, fn, Retries, RequestContext } from "tributary";

type In = { dir: string; steps?: number };
const mark = (dir: string, name: string, line = String(process.pid)): void =>
  appendFileSync(join(dir, name), line + "\n");
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const fault_sibling = fn(async function fault_sibling(dir: string) {
  mark(dir, "sibling");
  return 1;
});

const fault_slow = fn(
  { retries: new Retries({ maxRetries: 2, initialDelay: 0.05 }), timeout: 5 },
  async function fault_slow(dir: string, steps: number) {
    mark(dir, "slow-start");
    writeFileSync(join(dir, "slow.pid"), String(process.pid));
    const ctx = RequestContext.get();
    for (let i = 0; i < steps; i++) {
      await sleep(100);
      await ctx.progress.update(i + 1, steps, "slow step");
    }
    mark(dir, "slow-done");
    return 2;
  },
);

export const fault_parent = application(
  { retries: new Retries({ maxRetries: 1, initialDelay: 0.05 }) },
  fn(async function fault_parent(input: In) {
    mark(input.dir, "parent-start");
    const a = await fault_sibling(input.dir);
    const b = await fault_slow(input.dir, input.steps ?? 20);
    mark(input.dir, "parent-done");
    return a + b;
  }),
);

export const fault_once = application(
  fn(async function fault_once(input: In) {
    mark(input.dir, "once");
    await sleep(200);
    return "done";
  }),
);

/**
 * A map whose items run in runs (one container takes several at a time). Item `slow` sleeps on its
 * first attempt (and writes its pid for the test to kill), so the items queued behind it in its
 * run never start on that container.
 */
const fault_item = fn(
  { retries: new Retries({ maxRetries: 1, initialDelay: 0.05 }) },
  async function fault_item({ dir, i, slow }: { dir: string; i: number; slow: number }) {
    mark(dir, "item-start", `${i} ${process.pid}`);
    if (i === slow && !existsSync(join(dir, "slow.pid"))) {
      writeFileSync(join(dir, "slow.pid"), String(process.pid));
      await sleep(30_000);
    }
    mark(dir, "item-done", String(i));
    return 2 * i;
  },
);

export const fault_map = application(
  fn(async function fault_map(input: { dir: string; n: number; slow: number }) {
    const items = Array.from({ length: input.n }, (_, i) => ({ dir: input.dir, i, slow: input.slow }));
    const out = await fault_item.map(items);
    return out.reduce((a, b) => a + b, 0);
  }),
);

/** Items that write to stdout and stderr, to check each line stays with its item in a run. */
const fault_log_item = fn(async function fault_log_item(i: number) {
  console.log(`out ${i}`);
  process.stdout.write(`half ${i}`);
  process.stdout.write(` whole ${i}\n`);
  console.error(`err ${i}`);
  return i;
});

export const fault_log_map = application(
  fn(async function fault_log_map(n: number) {
    const out = await fault_log_item.map(Array.from({ length: n }, (_, i) => i));
    return out.length;
  }),
);
