// Applications for the dashboard test: a nested call with progress, state, metrics and logs; and a
// request that runs until it is cancelled.
import { application, fn, RequestContext } from "tributary";

export const dash_leaf = fn(async function dash_leaf(s: string) {
  console.log(`leaf got ${s}`);
  return s.length;
});

export const dash_tree = application(
  { tags: { team: "<ui>" } },
  fn(async function dash_tree(n: number) {
    const ctx = RequestContext.get();
    for (let i = 1; i <= n; i++) await ctx.progress.update(i, n, `item ${i}`);
    await ctx.state.set("seen", n);
    ctx.metrics.counter("items_processed", n);
    // Markup in user data: the page must show it as text.
    const len = await dash_leaf("<b>bold</b>");
    return { items: n, leaf: len, note: "<i>not markup</i>" };
  }),
);

export const dash_sleepy = application(
  fn(async function dash_sleepy() {
    const ctx = RequestContext.get();
    await ctx.progress.update(0, 1, "waiting to be cancelled");
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 120_000);
      ctx.signal.addEventListener("abort", () => (clearTimeout(t), resolve()));
    });
    return "woke";
  }),
);
