/**
 * Measures what one attempt consumes on its container (DESIGN §2 Usage; definitions in
 * core/usage.ts and docs/semantics.md "Usage").
 *
 * CPU is a delta: containers are reused warm across attempts, so the meter reads the container's
 * cumulative CPU time when the attempt starts and again when it ends. That delta is the attempt's
 * own because a container serves one attempt at a time (the pool's invariant: a busy container is
 * never handed out). Work a function leaves running after it returns (an un-awaited promise, a
 * timer) is charged to whichever attempt runs on the container next, or to none while it is idle.
 *
 * Peak memory is the highest resident memory sampled while the attempt runs (every `intervalMs`,
 * and the container's own figure as it finished): a spike shorter than the interval can be missed.
 * The start reading is CPU only: one read of the user's process (which includes the children it
 * reaped, in its `cutime`) plus the rest of the tree as of the last walk (the sandbox's own
 * processes, idle once started). A process started since that walk counts once the next walk
 * finds it, or once a process of the tree reaps it. At the end, the container's own figure (its
 * Node process and the children it reaped, exact to the µs) stands in for a last reading: for the
 * tree it is the same quantity, since the rest of the tree only changes at a walk. Where the
 * container did not report (killed, crashed), or a cgroup is read, a last reading is taken; when
 * the container is gone, the last sample taken before its death stands.
 *
 * Invariant: after `end()` or `stop()` no sample is taken. One unref'd interval samples every
 * running meter of the same period (no timer per attempt).
 */
import type { AttemptUsage } from "../../core/usage.js";

/** One reading of the container: cumulative CPU seconds and resident bytes, each null when unknown. */
export interface ProbeSample {
  cpuSeconds: number | null;
  rssBytes: number | null;
}

export interface AttemptMeterOptions {
  /**
   * Reads the container now; null when it is gone. `full`: walk its whole process tree and read
   * memory too (the periodic samples); otherwise CPU only, from one read of the user's process and
   * the rest of the tree as of the last walk: what the start and end of every attempt cost (a
   * trivial call must stay cheap).
   */
  probe: (full: boolean) => ProbeSample | null;
  /** Epoch ms (the executor's clock). */
  now: () => number;
  intervalMs?: number | undefined;
  /**
   * Take the last reading even when the container reported its own CPU: where the probe reads a
   * cgroup, whose counter also covers processes of the container that its Node never reaped.
   */
  alwaysReadAtEnd?: boolean | undefined;
  /**
   * False: no reading at the start (an item of a run, started as the one before it returned: one
   * `/proc` read fewer per item). The CPU is then the container's own figure at the end (its Node
   * process and the children it reaped, exact), without the rest of its tree; an attempt whose
   * container did not report (killed, crashed) has no CPU figure.
   */
  startReading?: boolean | undefined;
}

/** What the attempt's end adds to the meter's own readings. */
export interface AttemptEnd {
  /** The function's configured memory in GB (for GB-seconds). */
  memoryGb: number;
  /** The container was started for this attempt. */
  containerStarted: boolean;
  /** The container process's own resident memory and CPU µs at its result, when it reported them. */
  ownRss?: number | undefined;
  ownCpuMicros?: number | undefined;
}

/**
 * @example
 * const meter = new AttemptMeter({ probe: () => limits.probe(container), now: () => clock.now() });
 * // … the attempt runs …
 * const usage = meter.end({ memoryGb: 1, containerStarted: false });
 */
export class AttemptMeter {
  private readonly startedAt: number;
  private readonly startCpu: number | null;
  private lastCpu: number | null;
  private peak: number | null;
  private ticker: Ticker | null;
  /** Ticks skipped since the last periodic sample while the attempt waits on a child call. */
  private skipped = 0;
  /** The attempt waits on a child call: its container is idle, so periodic samples thin out. */
  waiting = false;

  constructor(private readonly o: AttemptMeterOptions) {
    this.startedAt = o.now();
    const s = o.startReading === false ? null : o.probe(false);
    this.startCpu = s?.cpuSeconds ?? null;
    this.lastCpu = this.startCpu;
    this.peak = s?.rssBytes ?? null;
    this.ticker = tickerFor(o.intervalMs ?? 250);
    this.ticker.meters.add(this);
  }

  /**
   * @internal The shared ticker's periodic sample. While the attempt waits on a child call only one
   * tick in `WAITING_EVERY` walks its tree: an idle container's CPU is still counted (CPU time is
   * cumulative and the end reads it again), and memory limits are the watchdog's, not the meter's.
   */
  tick(): void {
    if (this.waiting && ++this.skipped < WAITING_EVERY) return;
    this.skipped = 0;
    this.sample();
  }

  private sample(full = true): void {
    const s = this.o.probe(full);
    if (!s) return;
    if (s.cpuSeconds !== null && (this.lastCpu === null || s.cpuSeconds > this.lastCpu)) this.lastCpu = s.cpuSeconds;
    if (s.rssBytes !== null) this.peak = Math.max(this.peak ?? 0, s.rssBytes);
  }

  /** Stops sampling without a result (an attempt dropped unreported). */
  stop(): void {
    this.ticker?.meters.delete(this);
    this.ticker = null;
  }

  /** The attempt's usage, with one last reading unless the container reported its own CPU. */
  end(e: AttemptEnd): AttemptUsage {
    if (this.ticker && (e.ownCpuMicros === undefined || this.o.alwaysReadAtEnd)) this.sample(false);
    this.stop();
    const wallSeconds = Math.max(0, this.o.now() - this.startedAt) / 1000;
    const tree = this.startCpu !== null && this.lastCpu !== null ? this.lastCpu - this.startCpu : null;
    // The container's own figure is exact for its Node process and the children it reaped, and is
    // part of the tree: the larger of the two wins (procfs counts in 10 ms ticks; the tree's last
    // walk may have seen processes not yet reaped). Alone, it stands where no tree is readable.
    const own = e.ownCpuMicros === undefined ? null : e.ownCpuMicros / 1e6;
    const cpuSeconds = tree === null ? own : Math.max(tree, own ?? 0);
    const peakMemoryBytes = e.ownRss === undefined ? this.peak : Math.max(this.peak ?? 0, e.ownRss);
    return {
      wallSeconds,
      cpuSeconds: cpuSeconds === null ? null : Math.round(cpuSeconds * 1e6) / 1e6,
      peakMemoryBytes,
      memoryGbSeconds: Math.round(e.memoryGb * wallSeconds * 1e6) / 1e6,
      containerStarted: e.containerStarted,
    };
  }
}

/** While an attempt waits on a child call, one periodic tick in this many samples it (2 s at 250 ms). */
const WAITING_EVERY = 8;

/** Meters sampled by one interval. */
interface Ticker {
  meters: Set<AttemptMeter>;
}

const tickers = new Map<number, Ticker>();

/** The interval shared by every meter of period `ms`; it stops when its last meter does. */
function tickerFor(ms: number): Ticker {
  let t = tickers.get(ms);
  if (t) return t;
  const meters = new Set<AttemptMeter>();
  const interval = setInterval(() => {
    if (meters.size === 0) {
      clearInterval(interval);
      tickers.delete(ms);
      return;
    }
    for (const m of meters) m.tick();
  }, ms);
  interval.unref();
  t = { meters };
  tickers.set(ms, t);
  return t;
}
