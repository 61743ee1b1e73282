// Applications for the progress-stream tests.
import { application, File, fn, RequestContext, RequestError } from "tributary";

export const stream_small = application(
  fn(async function stream_small(n: number) {
    const ctx = RequestContext.get();
    for (let i = 1; i <= n; i++) await ctx.progress.update(i, n, `item ${i}`);
    return { done: n };
  }),
);

/** An output just over the 1 MiB inline limit (a JSON string of `bytes` characters plus quotes). */
export const stream_big = application(
  fn(async function stream_big(bytes: number) {
    return "x".repeat(bytes);
  }),
);

export const stream_file = application(
  fn(async function stream_file() {
    return new File(new Uint8Array([0, 1, 2, 255]), "application/octet-stream");
  }),
);

export const stream_rejects = application(
  fn(async function stream_rejects() {
    throw new RequestError("input rejected");
  }),
);
