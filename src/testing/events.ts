/** Small readers of a request's event stream for tests. */
import type { ProgressOptions } from "../core/event-set.js";
import type { Request, RequestEvent } from "../core/request.js";

/**
 * Reads the whole event stream of a request (waits until it has finished). Tests usually inspect
 * the lifecycle, so this asks for every event unless `options` says `{ events: "default" }`.
 *
 * @example
 * const events = await collectEvents(req);
 * assert.equal(events.at(-1)?.kind, "request:finished");
 */
export async function collectEvents(
  req: Request,
  options: ProgressOptions = { events: "all" },
): Promise<RequestEvent[]> {
  const out: RequestEvent[] = [];
  for await (const ev of req.progress(options)) out.push(ev);
  return out;
}

/**
 * The kinds of `events`, optionally only those of function `functionName`.
 *
 * @example
 * eventKinds(events, "flaky"); // ["call:created", "attempt:started", "attempt:failed", …]
 */
export function eventKinds(events: readonly RequestEvent[], functionName?: string): string[] {
  return events.filter((e) => functionName === undefined || e.functionName === functionName).map((e) => e.kind);
}

/**
 * The `attempt:started` events of function `functionName`, in order.
 *
 * @example
 * attemptsOf(events, "flaky").map((e) => e.at); // [0, 1000, 3000]
 */
export function attemptsOf(events: readonly RequestEvent[], functionName: string): RequestEvent[] {
  return events.filter((e) => e.kind === "attempt:started" && e.functionName === functionName);
}
