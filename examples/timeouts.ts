// Seeds "Timeouts": a timeout counts seconds without progress; each progress update resets it, so a
// function that keeps reporting can run for hours.
import { application, fn, RequestContext } from "tributary";

/** A 30-minute budget for long agent tasks. */
export const deep_research = fn({ timeout: 1800 }, async function deep_research(prompt: string): Promise<string> {
  return `research notes on ${prompt}`;
});

/**
 * A short timeout per step, kept alive by progress updates.
 * @example "tides"
 */
export const long_running_agent = application(
  fn({ timeout: 300 }, async function long_running_agent(prompt: string): Promise<string> {
    const ctx = RequestContext.get();
    for (let step = 0; step < 1000; step++) {
      // Each update resets the 5-minute timeout.
      await ctx.progress.update(step, 1000, `Agent step ${step}`);
      if (step === 3) return await deep_research(prompt);
    }
    return "Max steps reached";
  }),
);
