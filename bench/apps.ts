/**
 * The applications `npm run bench` deploys. They import only "tributary" (the bundle carries its own
 * SDK copy), and each does as little work as possible so the figures measure Tributary, not user code.
 */
import { application, fn, RequestContext } from "tributary";

/** Invoke → output with nothing in between: the floor of every other figure. */
export const trivial = application(
  fn(async function trivial(): Promise<string> {
    return "ok";
  }),
);

/**
 * One link of a chain: calls the next link (a nested durable call into another container).
 * An arrow with `{ name }`, not `function link`: inside a named function expression `link` would
 * be the plain handler, and the recursion would run in-process instead of as a durable call.
 */
const link = fn({ name: "link" }, async (n: number): Promise<number> => {
  return n <= 0 ? 0 : 1 + (await link(n - 1));
});

/** A chain of 10 nested durable calls: chain10 → link(9) → … → link(0). */
export const chain10 = application(
  fn(async function chain10(): Promise<number> {
    return 1 + (await link(9));
  }),
);

const double = fn(async function double(x: number): Promise<number> {
  return x * 2;
});

/** `f.map` over `n` trivial items: the server orchestrates n calls. */
export const map_items = application(
  fn(async function map_items(n: number): Promise<number> {
    const items = Array.from({ length: n }, (_, i) => i);
    const out = await double.map(items);
    return out.length;
  }),
);

/** Sends `n` progress updates as fast as the SDK accepts them; returns the time it took (ms). */
export const progress_spam = application(
  fn(async function progress_spam(n: number): Promise<number> {
    const ctx = RequestContext.get();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await ctx.progress.update(i + 1, n, "step");
    return performance.now() - t0;
  }),
);
