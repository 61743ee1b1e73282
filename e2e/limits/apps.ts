/**
 * Applications of the events-limit end-to-end test (deployed to a server started with a small
 * `maxEventsPerRequest`). Imports only "tributary".
 */
import { application, fn, RequestContext, SDKUsageError } from "tributary";

const noop = fn(async function ev_noop(n: number): Promise<number> {
  return n;
});

/** Calls children one by one until one is refused; returns how many ran and the refusal's message. */
export const ev_fanout = application(
  fn(async function ev_fanout(): Promise<{ ran: number; refusal: string; isUsageError: boolean }> {
    for (let n = 0; ; n++) {
      try {
        await noop(n);
      } catch (e) {
        return { ran: n, refusal: (e as Error).message, isUsageError: e instanceof SDKUsageError };
      }
    }
  }),
);

/** Reports progress without end (pausing now and then so updates are not all coalesced away). */
export const ev_chatty = application(
  fn(async function ev_chatty(): Promise<string> {
    const ctx = RequestContext.get();
    for (let i = 0; i < 1_000_000; i++) {
      await ctx.progress.update(i, 1_000_000);
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 30));
    }
    return "never";
  }),
);
