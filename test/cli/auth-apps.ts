// An application for the real-process auth test: it uses a secret (without printing it), logs, and
// fails once with an error, so every log and event path carries something.
import { application, fn, RequestContext } from "tributary";

export const leak_probe = application(
  fn(
    { secrets: ["LEAK_SECRET"], retries: { maxRetries: 1, initialDelay: 0.01 } },
    async function leak_probe(x?: unknown) {
      const ctx = RequestContext.get();
      const n = (process.env.LEAK_SECRET ?? "").length;
      console.log(`secret has ${n} characters`);
      console.error("stderr line");
      await ctx.progress.update(1, 2, "halfway");
      await ctx.state.set("seen", { n });
      if ((await ctx.state.get("failed_once")) === undefined) {
        await ctx.state.set("failed_once", true);
        throw new Error("first attempt fails on purpose");
      }
      return { n, x: x ?? null };
    },
  ),
);
