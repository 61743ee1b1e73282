/**
 * Progress, metrics and logs from running attempts: buffered and written in batches.
 *
 * Progress is coalesced: within one flush window at most `PROGRESS_PER_WINDOW` updates of a call are
 * stored (the latest always among them), so a function sending thousands of updates per second costs
 * a few writes while a slow one keeps every update. (Its timeout is reset by the executor on every
 * update, whatever is stored.)
 *
 * Invariant: buffered telemetry of an attempt is committed before its call finishes (`drain` in the
 * attempt's finish path), so progress events precede `call:finished` and metrics are readable once
 * the request is.
 */
import type { FromExecutor, LogLineMsg } from "../core/wire/executor.js";
import type { LogRow, MetricRow, NewEvent } from "../store/types.js";
import { MetricTotals, type MetricSample } from "./metric-totals.js";
import { UsageTotals } from "./usage-totals.js";
import { eventLimitError } from "./event-limit.js";
import type { LiveAttempt } from "./model.js";
import type { EngineResources } from "./resources.js";

const FLUSH_MS = 25;
/** Updates of one call kept per flush window; past this, the latest replaces the last kept. */
const PROGRESS_PER_WINDOW = 16;
const RECENT_CAP = 10_000;

interface AttemptInfo {
  requestId: string;
  namespace: string;
  application: string;
  callId: string;
  functionName: string;
  number: number;
}

function infoOf(a: {
  number: number;
  call: { id: string; functionName: string; req: { id: string; namespace: string; application: string } };
}): AttemptInfo {
  const { req } = a.call;
  return {
    requestId: req.id,
    namespace: req.namespace,
    application: req.application,
    callId: a.call.id,
    functionName: a.call.functionName,
    number: a.number,
  };
}

export class Telemetry {
  private progress = new Map<string, Map<string, NewEvent[]>>();
  /**
   * Arrival order of buffered progress events: a window is stored in this order, not grouped by
   * call, so the request's aggregated fraction never steps backwards in the stream.
   */
  private arrival = new WeakMap<NewEvent, number>();
  private arrivals = 0;
  private metrics: MetricRow[] = [];
  /** Namespace and application of each buffered metric row (same index), for the totals. */
  private metricScopes: Pick<MetricSample, "namespace" | "application">[] = [];
  /** Users' metrics since this server started, counted once committed (for Prometheus). */
  readonly totals = new MetricTotals();
  /** Attempts' usage since this server started, counted once committed (for Prometheus). */
  readonly usage = new UsageTotals();
  private logRows: LogRow[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inflight: Promise<void> = Promise.resolve();
  /** Flushes chained on `inflight` and not yet settled. */
  private flushing = 0;
  /** Attempts that finished recently, so their late log lines still find their call. */
  private readonly recent = new Recent<AttemptInfo>(RECENT_CAP);

  constructor(private readonly res: EngineResources) {}

  /** Prometheus' usage counters: counted once the attempt's outcome (with its usage) is committed. */
  countUsage(a: LiveAttempt): void {
    const { req } = a.call;
    if (a.usage) this.usage.add(req.namespace, req.application, a.call.functionName, a.usage);
  }

  /** Keeps a finished attempt's identity for its late log lines. */
  remember(a: {
    id: string;
    number: number;
    call: { id: string; functionName: string; req: { id: string; namespace: string; application: string } };
  }): void {
    if (!this.recent.has(a.id)) this.recent.add(a.id, infoOf(a));
  }

  private info(attemptId: string): AttemptInfo | undefined {
    const a = this.res.live.attempts.get(attemptId);
    if (a) {
      const i = infoOf(a);
      if (!this.recent.has(attemptId)) this.recent.add(attemptId, i);
      return i;
    }
    return this.recent.get(attemptId);
  }

  record(m: Extract<FromExecutor, { t: "progress" | "metric" }>): void {
    const i = this.info(m.attemptId);
    if (!i) return;
    if (m.t === "progress") {
      const live = this.res.live.requests.get(i.requestId);
      // Not journaled: an update of a request no longer live (it has finished, and its
      // `request:finished` stays its last event), or past the events limit (the live attempt that
      // sent it has been failed for it in executors.ts; these are the ones still in flight).
      if (!live || eventLimitError(live, this.res.options.maxEventsPerRequest, 1, "progress update")) return;
      let perReq = this.progress.get(i.requestId);
      if (!perReq) this.progress.set(i.requestId, (perReq = new Map()));
      // The request's fraction over its call tree, as of this update.
      const fraction = live.progress.report(i.callId, m.update.current, m.update.total);
      const data = { ...m.update, fraction };
      const ev: NewEvent = {
        kind: "progress",
        at: m.at,
        callId: i.callId,
        functionName: i.functionName,
        attempt: i.number,
        data,
      };
      this.arrival.set(ev, this.arrivals++);
      const list = perReq.get(i.callId);
      if (!list) perReq.set(i.callId, [ev]);
      else if (list.length < PROGRESS_PER_WINDOW) list.push(ev);
      else list[list.length - 1] = ev;
    } else {
      this.metricScopes.push({ namespace: i.namespace, application: i.application });
      this.metrics.push({
        requestId: i.requestId,
        callId: i.callId,
        functionName: i.functionName,
        attempt: i.number,
        kind: m.sample.kind,
        name: m.sample.name,
        value: m.sample.value,
        at: m.at,
      });
    }
    this.schedule();
  }

  logs(lines: LogLineMsg[]): void {
    for (const l of lines) {
      const i = this.info(l.attemptId);
      if (!i) continue;
      this.logRows.push({
        requestId: i.requestId,
        attemptId: l.attemptId,
        callId: i.callId,
        functionName: i.functionName,
        stream: l.stream,
        ts: l.ts,
        line: l.line,
      });
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.flushNow(), FLUSH_MS);
  }

  /** Writes everything buffered; writes are chained so they commit in order. */
  flushNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const progress = this.progress;
    const metrics = this.metrics;
    const scopes = this.metricScopes;
    const logs = this.logRows;
    this.progress = new Map();
    this.metrics = [];
    this.metricScopes = [];
    this.logRows = [];
    const { store, publish } = this.res;
    this.flushing++;
    this.inflight = this.inflight
      .then(async () => {
        const byArrival = (a: NewEvent, b: NewEvent): number => this.arrival.get(a)! - this.arrival.get(b)!;
        // One request's refusal (in a cluster: another server took it over) spares the others.
        const failed: Error[] = [];
        for (const [requestId, perCall] of progress) {
          const evs = [...perCall.values()].flat().sort(byArrival);
          const stored = await store.appendEvents(requestId, evs).catch((e: Error) => void failed.push(e));
          if (stored) publish(requestId, stored);
        }
        if (failed.length)
          process.stderr.write(
            `tributary: progress of ${failed.length} request(s) not stored: ${failed[0]!.message}\n`,
          );
        if (metrics.length) {
          await store.addMetrics(metrics);
          metrics.forEach((m, k) =>
            this.totals.add({
              ...scopes[k]!,
              functionName: m.functionName,
              kind: m.kind,
              name: m.name,
              value: m.value,
            }),
          );
        }
        if (logs.length) await store.appendLogs(logs);
      })
      .catch((e) => {
        process.stderr.write(`tributary: telemetry write failed: ${(e as Error).message}\n`);
      })
      .finally(() => void this.flushing--);
  }

  /**
   * True while anything buffered is not yet committed: waiting for its timer, or being written.
   * A call's end waits for it (attempt-results.ts), so a progress update sent before a result is stored
   * and published before the call's end, and so before `request:finished`: a stream that stops at
   * `RequestFinished` has seen every update. (Counting only the timer missed a flush already under
   * way when the result arrived: the final update then reached the bus after `RequestFinished`.)
   */
  get pending(): boolean {
    return this.timer !== null || this.flushing > 0;
  }

  /** Resolves once buffered writes are committed. */
  async drain(): Promise<void> {
    this.flushNow();
    await this.inflight;
  }
}

/**
 * The last `cap` entries added, the oldest forgotten first. A ring of keys beside the map: evicting
 * through `map.keys().next()` walks the deleted slots V8 leaves at the front of a Map until its next
 * rehash, ~7 µs per eviction at 10,000 entries (one per finished attempt), against ~0.3 µs here.
 */
class Recent<V> {
  private readonly map = new Map<string, V>();
  private readonly ring: (string | undefined)[];
  private next = 0;

  constructor(private readonly cap: number) {
    this.ring = new Array<string | undefined>(cap);
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  /** Adds a key not present (callers check `has` first). */
  add(key: string, value: V): void {
    const old = this.ring[this.next];
    if (old !== undefined) this.map.delete(old);
    this.ring[this.next] = key;
    this.next = (this.next + 1) % this.cap;
    this.map.set(key, value);
  }
}
