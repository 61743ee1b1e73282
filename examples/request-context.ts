// Seed "Request Context": the request id, durable per-request state, streamed progress, metrics.
import { application, fn, RequestContext } from "tributary";

export const show_request_id = application(
  fn(async function show_request_id(): Promise<string> {
    const ctx = RequestContext.get();
    console.log(`Processing request: ${ctx.requestId}`);
    return ctx.requestId;
  }),
);

export const second_function = fn(async function second_function(): Promise<number> {
  const ctx = RequestContext.get();
  const data = await ctx.state.get<string>("user_data", "");
  return data?.length ?? 0;
});

/** @example "hello" */
export const first_function = application(
  fn(async function first_function(data: string): Promise<number> {
    const ctx = RequestContext.get();
    await ctx.state.set("user_data", data);
    await ctx.state.set("processed", true);
    return await second_function();
  }),
);

/** @example ["a", "b", "c"] */
export const process_items = application(
  fn(async function process_items(items: string[]): Promise<{ results: string[] }> {
    const ctx = RequestContext.get();
    const results: string[] = [];
    for (const [i, item] of items.entries()) {
      await ctx.progress.update(i + 1, items.length, `Processing item ${i + 1}`);
      results.push(item.toUpperCase());
    }
    return { results };
  }),
);

/** @example "hello" */
export const measured_function = application(
  fn(async function measured_function(data: string): Promise<number> {
    const ctx = RequestContext.get();
    const start = performance.now();
    const result = data.length;
    ctx.metrics.timer("processing_time", (performance.now() - start) / 1000);
    ctx.metrics.counter("items_processed", result);
    return result;
  }),
);
