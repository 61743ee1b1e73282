/**
 * What `runLocal` and `runRemote` return, and the events of a request's stream. The same shapes are
 * served by the HTTP API (SSE data) and read by the CLI and dashboard.
 */
import type { PlainError } from "./plain-error.js";
import type { EventKind, FailureReason, Outcome, Status } from "./status.js";

/** Which events a request's stream carries (`?events=`): see `event-set.ts`. */
export type EventSet = "default" | "all";

/** Options of `Request.progress()`. */
export interface ProgressOptions {
  /** `"default"` (progress updates and the outcome) or `"all"` (every lifecycle event too). */
  events?: EventSet;
}

/** One event of a request's stream. `seq` is monotonic per request (the SSE id). */
export interface RequestEvent {
  seq: number;
  kind: EventKind;
  /** Milliseconds since the epoch. */
  at: number;
  callId?: string;
  parentCallId?: string | null;
  functionName?: string;
  attempt?: number;
  /** progress: current/total/message/attributes; failures: reason/error; finishes: status/outcome. */
  data?: Record<string, unknown>;
  /** progress only: how far the request is, 0–1 (see `withFraction`). */
  fraction?: number;
}

export type ProgressEvent = RequestEvent;

/** The final state of a request, as carried by `request:finished` / SSE `RequestFinished`. */
export interface RequestOutcome {
  status: Status;
  outcome: Outcome;
  failureReason: FailureReason | null;
  /** For `request_error`: the message; for other failures, the error that caused it. */
  error?: PlainError | null;
}

/**
 * A running or finished request.
 *
 * @example
 * const req = await runLocal(greet, "Hello, world!");
 * for await (const ev of req.progress()) console.log(ev.kind, ev.fraction); // progress …, request:finished
 * console.log(await req.output()); // "Hello, world! from greet!"
 */
export interface Request<O = unknown> {
  readonly id: string;
  /** The output; rejects with `RequestError` (request_error) or `RequestFailedError` (others). */
  output(): Promise<O>;
  /**
   * The events from the start, then live ones; ends after `request:finished`. By default progress
   * updates and `request:finished`; `{ events: "all" }` adds the lifecycle events.
   */
  progress(options?: ProgressOptions): AsyncIterable<RequestEvent>;
  /** Cancels the request: running calls see `ctx.signal` aborted, pending ones never start. */
  cancel(): Promise<void>;
  /** Resolves to the outcome once finished. */
  finished(): Promise<RequestOutcome>;
}
