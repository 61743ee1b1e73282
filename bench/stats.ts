/** Small statistics and formatting helpers for the benchmark table. */

/** The q-quantile (0..1) of `xs` by nearest rank; NaN when empty. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

export const ms = (x: number): string => (Number.isFinite(x) ? `${x < 10 ? x.toFixed(2) : x.toFixed(1)} ms` : "n/a");
export const mb = (bytes: number): string => (Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(0)} MB` : "n/a");
export const perSec = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(0)}/s` : "n/a");
export const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : "n/a");

/** Runs `fn` `n` times one after another, returning each duration in ms. */
export async function timeSequential(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    out.push(performance.now() - t0);
  }
  return out;
}

/**
 * Runs `fn` sequentially for `ms` milliseconds (and at least 20 times) before a measurement. A
 * Node.js server reaches its steady state only after thousands of requests: V8 optimizes the hot
 * path's many small functions as they get hot, and its young generation grows. Measured on the
 * trivial request (2 vCPUs, SQLite): server CPU 2.42 ms per request after 100 warm-up requests,
 * 2.08 after 1,000, 1.64 after 3,000, 1.38 after 6,000, 1.19 after 12,000. Latency figures are
 * taken after this warm-up, for every system the bench compares alike (Restate too).
 * `BENCH_WARMUP_MS` overrides the time.
 */
export async function warmUp(ms: number, fn: () => Promise<unknown>): Promise<void> {
  const until = performance.now() + Number(process.env.BENCH_WARMUP_MS ?? ms);
  for (let i = 0; i < 20 || performance.now() < until; i++) await fn();
}

/** The default warm-up of a latency measurement, in ms. */
export const warmUpMs = (quick: boolean): number => (quick ? 1_000 : 10_000);

/**
 * `clients` closed-loop workers calling `fn` until `durationMs` has passed. Returns completed calls,
 * the exact elapsed time and every latency.
 */
export async function closedLoop(
  clients: number,
  durationMs: number,
  fn: () => Promise<unknown>,
): Promise<{ done: number; errors: number; elapsedMs: number; latencies: number[] }> {
  const latencies: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  const end = t0 + durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const s = performance.now();
      try {
        await fn();
        latencies.push(performance.now() - s);
      } catch {
        errors++;
        // Bounded: too many failures means the run is meaningless; stop this worker.
        if (errors > 1000) return;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, worker));
  return { done: latencies.length, errors, elapsedMs: performance.now() - t0, latencies };
}
