/**
 * The `Request` handle `runLocal` returns, and the end of a local request.
 *
 * Invariant: a request finishes once. `finishRequest` first ends every call still live (children
 * left running by a failed or finished root, or everything on cancel) with `call:finished`
 * cancelled, aborts their signals, and only then appends `request:finished`, the last event.
 */
import { metricsResponse } from "../core/metrics-response.js";
import { decodeOutput, type Encoded } from "../core/codec.js";
import type { MetricsResponse, UsageInfo } from "../core/api.js";
import { sumUsage } from "../core/usage.js";
import { CancelledError, RequestError, RequestFailedError, toPlainError } from "../core/errors.js";
import { eventSetOption, filterEvents, type ProgressOptions } from "../core/event-set.js";
import type { Request, RequestEvent, RequestOutcome } from "../core/request.js";
import { outcomeOf, type FailureReason, type Status } from "../core/status.js";
import { decodeStructured } from "../core/codec.js";
import type { CallOutcome } from "./journal.js";
import { finishCall, type RequestRun } from "./request-run.js";

/**
 * A request run in-process. Besides the `Request` API it exposes what the server's read APIs
 * expose: the events so far, the metrics and the state.
 *
 * @example
 * const req = await runLocal(greet, "Hello, world!");
 * console.log(await req.output(), req.metrics().counters);
 */
export class LocalRequest<O = unknown> implements Request<O> {
  private encoded: Encoded | null = null;
  private outcome: RequestOutcome | null = null;
  private readonly done: Promise<RequestOutcome>;
  private resolveDone!: (o: RequestOutcome) => void;

  /**
   * Keeps the process alive while the request runs: the system clock's timers are unref'd, so a
   * request waiting only on a backoff or a timeout would otherwise let Node exit mid-request. This is
   * a liveness handle, not a semantic timer (it never fires anything).
   */
  private keepAlive: ReturnType<typeof setInterval> | null = setInterval(() => {}, 2 ** 30);

  constructor(private readonly run: RequestRun) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  get id(): string {
    return this.run.id;
  }

  /** Resolves to the outcome once the request has finished. */
  finished(): Promise<RequestOutcome> {
    return this.done;
  }

  /** The output (a fresh copy per call); rejects with `RequestError` or `RequestFailedError`. */
  async output(): Promise<O> {
    const o = await this.done;
    if (o.status === "succeeded" && this.encoded)
      return decodeOutput(this.encoded.bytes, this.encoded.contentType) as O;
    const message = o.error?.message ?? `request ${o.status}`;
    if (o.failureReason === "request_error") throw new RequestError(message);
    throw new RequestFailedError(o.failureReason ?? "cancelled", message, {
      requestId: this.id,
      error: o.error ?? null,
    });
  }

  /**
   * The events from the start, then live ones; ends after `request:finished`. The same event sets
   * as the server's stream: progress updates and `request:finished` by default, every lifecycle
   * event with `{ events: "all" }`.
   */
  progress(options: ProgressOptions = {}): AsyncIterable<RequestEvent> {
    const set = eventSetOption(options);
    return { [Symbol.asyncIterator]: () => filterEvents(this.run.events.follow(), set) };
  }

  /** Cancels: running calls see their signal aborted, pending ones never start. */
  async cancel(): Promise<void> {
    this.finish("cancelled", "cancelled", toPlainError(new CancelledError("the request was cancelled")));
  }

  /** The events recorded so far. */
  events(): RequestEvent[] {
    return this.run.events.all();
  }

  /** Metrics in the shape of `GET …/requests/{id}/metrics`. */
  metrics(): MetricsResponse {
    return metricsResponse(this.run.metrics);
  }

  /**
   * Usage in the shape of request metadata's `usage`, over the attempts finished so far. In-process,
   * `cpu_seconds` and `peak_memory_bytes` are null (every call shares this process, so its CPU and
   * memory are not any one call's) and `containers_started` is 0.
   */
  usage(): UsageInfo {
    return sumUsage(this.run.usage);
  }

  /** The request state (decoded copies). */
  state(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of this.run.state) out[k] = decodeStructured(v, `state '${k}'`);
    return out;
  }

  /** Called with the root call's outcome. */
  settle(root: CallOutcome<Encoded>): void {
    if (root.ok) {
      this.encoded = root.result;
      this.finish("succeeded", null, null);
    } else if (root.reason === "cancelled") {
      this.finish("cancelled", "cancelled", root.error);
    } else {
      this.finish("failed", root.reason, root.error);
    }
  }

  private finish(status: Status, reason: FailureReason | null, error: RequestOutcome["error"]): void {
    if (this.outcome) return;
    const live = [...this.run.liveCalls].reverse();
    for (const c of live) finishCall(this.run, c, "cancelled", "cancelled");
    const why = status === "cancelled" ? "the request was cancelled" : "the request has finished";
    this.run.stop.abort(new CancelledError(why));
    const outcome: RequestOutcome = { status, outcome: outcomeOf(status, reason), failureReason: reason, error };
    this.outcome = outcome;
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.keepAlive = null;
    this.run.events.append({ kind: "request:finished", data: { ...outcome } });
    this.resolveDone(outcome);
  }
}
