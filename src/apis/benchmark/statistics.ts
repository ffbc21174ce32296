/** Order statistics of one row's timed runs (milliseconds). */
export interface LatencyStats {
  median: number;
  p90: number;
  min: number;
  max: number;
  mean: number;
  /** (max - min) / median: how far apart the runs were, as a fraction of the median. */
  spread: number;
}

/**
 * Quantile by linear interpolation between closest ranks (numpy's default 'linear' method):
 * q = 0.5 is the median, q = 0.9 the 90th percentile.
 */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function latencyStats(runs: readonly number[]): LatencyStats {
  const sorted = [...runs].sort((a, b) => a - b);
  const median = quantile(sorted, 0.5);
  return {
    median,
    p90: quantile(sorted, 0.9),
    min: sorted[0] ?? NaN,
    max: sorted[sorted.length - 1] ?? NaN,
    mean: sorted.reduce((s, v) => s + v, 0) / sorted.length,
    spread: median > 0 ? (sorted[sorted.length - 1] - sorted[0]) / median : NaN,
  };
}

/** Per-key median over runs of a stage split (keys missing from a run count as absent, not 0). */
export function medianStages(runs: readonly Record<string, number>[]): Record<string, number> {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r)))];
  const out: Record<string, number> = {};
  for (const k of keys) {
    const values = runs.map((r) => r[k]).filter((v): v is number => v !== undefined).sort((a, b) => a - b);
    out[k] = quantile(values, 0.5);
  }
  return out;
}
