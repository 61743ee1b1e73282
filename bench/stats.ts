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
