// Applications for the fault tests: every function counts its runs in files under `dir`, so a test
// can prove that finished calls never ran again.
import { appendFileSync, writeFileSync } from "node:fs";
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
