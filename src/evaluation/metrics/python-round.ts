import { formatFixed3 } from '../coco/summarize';

/** Python's `round(v, 3)` (half to even on the exact value), as mmdetection rounds its metrics. */
export function pyRound3(v: number): number {
  return Number.isNaN(v) ? v : Number(formatFixed3(v));
}

/** numpy's `np.round(v, 2)`: scale, round half to even, scale back (float64). */
export function npRound2(v: number): number {
  if (!Number.isFinite(v)) return v;
  const y = v * 100;
  let r = Math.round(y);
  if (Math.abs(y % 1) === 0.5 && r % 2 !== 0) r -= 1;
  return r / 100;
}
