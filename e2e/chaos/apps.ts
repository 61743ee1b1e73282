// The chaos application: a parent fans out to 2–3 children that report progress. Every call
// records its container pid (so the chaos monkey can kill it), and every child appends a "done" line
// to a per-request file as the very last thing before it returns: the number of "done" lines per
// child says how many times that child ran to completion. Imports only "tributary" and node built-ins.
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { application, fn, RequestContext, Retries } from "tributary";

export interface TreeInput {
  dir: string;
  req: string;
  children: number;
  steps: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const append = (file: string, line: string): void => appendFileSync(file, line + "\n");

/** `<pid> <kind> <req>`: the monkey's list of container pids. */
const recordPid = (dir: string, kind: string, req: string): void =>
  append(join(dir, "pids"), `${process.pid} ${kind} ${req}`);

const chaos_leaf = fn(
  { timeout: 10 },
  async function chaos_leaf(dir: string, req: string, i: number, steps: number): Promise<string> {
    recordPid(dir, "leaf", req);
    append(join(dir, `${req}.start`), `${i} ${process.pid} ${Date.now()}`);
    const ctx = RequestContext.get();
    for (let s = 0; s < steps; s++) {
      await sleep(100);
      await ctx.progress.update(s + 1, steps, `child ${i} step ${s + 1}`);
    }
    // Last synchronous act before returning: a second line for the same child means it ran to
    // completion twice.
    append(join(dir, `${req}.done`), `${i} ${process.pid} ${Date.now()}`);
    return `${req}:${i}`;
  },
);

// Container kills fail an attempt and use up the policy (docs/semantics.md), so the policy must outlast
// the kills one call can meet; executor and server losses do not count against it.
export const chaos_tree = application(
  { retries: new Retries({ maxRetries: 6, initialDelay: 0.1, maxDelay: 1 }) },
  fn(async function chaos_tree(input: TreeInput): Promise<string[]> {
    recordPid(input.dir, "parent", input.req);
    await RequestContext.get().progress.update(0, input.children, "fanning out");
    return await Promise.all(
      Array.from({ length: input.children }, (_, i) => chaos_leaf(input.dir, input.req, i, input.steps)),
    );
  }),
);
