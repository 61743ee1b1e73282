/**
 * Which events a request's progress stream carries (DESIGN.md §4). The default set is what a client
 * wants: `progress` updates and the final `request:finished` (SSE `RequestFinished`). `all` adds
 * the lifecycle events (`request:started`, `call:created`, `attempt:started`, `attempt:failed`,
 * `call:finished`, …) that the dashboard and tests read.
 *
 * The same filter serves the server's stream, `runRemote` and `runLocal`, so code that reads
 * `progress()` sees the same events wherever it runs.
 */
import { SDKUsageError } from "./errors.js";
import type { EventSet, ProgressOptions, RequestEvent } from "./request.js";
import type { EventKind } from "./status.js";

export type { EventSet, ProgressOptions } from "./request.js";

/**
 * The event set named by a query value; undefined means the default, anything unknown is null.
 *
 * @example
 * parseEventSet("all"); // "all"
 * parseEventSet("x");   // null
 */
export function parseEventSet(raw: string | undefined): EventSet | null {
  if (raw === undefined || raw === "" || raw === "default") return "default";
  return raw === "all" ? "all" : null;
}

/**
 * The event set `Request.progress(options)` asks for; an unknown one is an `SDKUsageError`.
 *
 * @example
 * eventSetOption({ events: "all" }); // "all"
 */
export function eventSetOption(options: ProgressOptions | undefined): EventSet {
  const raw: unknown = options?.events;
  if (raw === undefined || raw === "default" || raw === "all") return raw ?? "default";
  throw new SDKUsageError(`progress({ events }) must be "default" or "all", got ${JSON.stringify(raw) ?? String(raw)}`);
}

/**
 * True when an event of `kind` belongs to `set`.
 *
 * @example
 * inEventSet("attempt:started", "default"); // false
 */
export function inEventSet(kind: EventKind, set: EventSet): boolean {
  return set === "all" || kind === "progress" || kind === "request:finished";
}

/**
 * A progress event with its `fraction` (0–1): the request's figure aggregated over its call tree
 * when the runner stored one with the event (the server and `runLocal` do), else the reporting
 * call's own `current / total`. Other events are returned unchanged.
 *
 * @example
 * withFraction({ seq: 3, kind: "progress", at: 0, data: { current: 1, total: 4 } }).fraction; // 0.25
 */
export function withFraction(ev: RequestEvent): RequestEvent {
  if (ev.kind !== "progress" || ev.fraction !== undefined) return ev;
  const stored = ev.data?.fraction;
  if (typeof stored === "number") {
    // Stored with the update's data; shown beside it, so `data` stays what the function reported.
    const { fraction: _stored, ...data } = ev.data!;
    return { ...ev, data, fraction: stored };
  }
  const current = ev.data?.current;
  const total = ev.data?.total;
  if (typeof current !== "number" || typeof total !== "number" || !(total > 0)) return ev;
  return { ...ev, fraction: Math.min(1, Math.max(0, current / total)) };
}

/**
 * The events of `events` in `set`, progress ones with their fraction.
 *
 * @example
 * for await (const ev of filterEvents(log.follow(), "default")) console.log(ev.kind);
 */
export async function* filterEvents(events: AsyncIterable<RequestEvent>, set: EventSet): AsyncGenerator<RequestEvent> {
  for await (const ev of events) if (inEventSet(ev.kind, set)) yield withFraction(ev);
}
