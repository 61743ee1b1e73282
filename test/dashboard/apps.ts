// Applications for the dashboard tests: a nested call with progress, state, metrics and logs; a
// request that runs until it is cancelled; one whose typed input makes the invoke form; and one
// whose child fails once and is retried (the timeline).
import { application, fn, RequestContext, Retries, type File } from "tributary";

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

/** The input the invoke form is generated from: one field per property, JSON for the list. */
interface Greeting {
  name: string;
  count: number;
  loud: boolean;
  style: "plain" | "fancy";
  tags?: string[];
}

export const dash_form = application(
  fn(async function dash_form(g: Greeting) {
    const ctx = RequestContext.get();
    for (let i = 1; i <= 3; i++) {
      await ctx.progress.update(i, 3, `step ${i}`);
      // Long enough for the page to see it running before it finishes.
      await new Promise((r) => setTimeout(r, 250));
    }
    const text = `hello ${g.name}`.repeat(g.count);
    return { text: g.loud ? text.toUpperCase() : text, style: g.style, tags: g.tags ?? [] };
  }),
);

/** Fails its first attempt (counted in request state, which survives the retry), then succeeds. */
export const dash_flaky = fn(
  { retries: new Retries({ maxRetries: 2, initialDelay: 0.4 }) },
  async function dash_flaky(n: number) {
    const ctx = RequestContext.get();
    const tries = ((await ctx.state.get<number>("flaky_tries")) ?? 0) + 1;
    await ctx.state.set("flaky_tries", tries);
    await new Promise((r) => setTimeout(r, 150));
    if (tries === 1) throw new Error("first attempt fails on purpose");
    return n * 2;
  },
);

/** Waits on the flaky child: its timeline shows the wait, the failed attempt, the backoff and the retry. */
export const dash_retry = application(
  fn(async function dash_retry(n: number) {
    await new Promise((r) => setTimeout(r, 100));
    return { doubled: await dash_flaky(n) };
  }),
);

/** A `File` input: the invoke form offers a file picker and sends its bytes. */
export const dash_file = application(
  fn(async function dash_file(upload: File) {
    return { size: upload.size, type: upload.contentType, text: upload.text() };
  }),
);
