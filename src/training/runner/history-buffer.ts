/**
 * mmengine's HistoryBuffer: the logged values of one scalar with the counts they were averaged
 * over, so a window mean is sum(values * counts) / sum(counts) — as mmengine, values are the
 * per-batch means and counts the batch sizes (1 for losses).
 */
export class HistoryBuffer {
  readonly values: number[] = [];
  readonly counts: number[] = [];

  constructor(readonly maxLength = 1_000_000) {}

  update(value: number, count = 1): void {
    this.values.push(value);
    this.counts.push(count);
    if (this.values.length > this.maxLength) {
      this.values.shift();
      this.counts.shift();
    }
  }

  /** The mean of the last `window` updates (all of them without a window), weighted by count. */
  mean(window?: number): number {
    const from = window === undefined ? 0 : Math.max(0, this.values.length - window);
    let sum = 0;
    let n = 0;
    for (let i = from; i < this.values.length; i++) {
      sum += this.values[i] * this.counts[i];
      n += this.counts[i];
    }
    return n === 0 ? NaN : sum / n;
  }

  current(): number {
    return this.values.length ? this.values[this.values.length - 1] : NaN;
  }

  /** mmengine's HistoryBuffer attributes, as plain values a checkpoint holds. */
  stateDict(): { max_length: number; _log_history: number[]; _count_history: number[] } {
    return { max_length: this.maxLength, _log_history: [...this.values], _count_history: [...this.counts] };
  }

  static fromState(s: unknown): HistoryBuffer {
    const o = (s ?? {}) as { max_length?: unknown; _log_history?: unknown; _count_history?: unknown };
    const nums = (v: unknown) => (Array.isArray(v) ? v.map(Number) : []);
    const b = new HistoryBuffer(typeof o.max_length === 'number' ? o.max_length : undefined);
    const values = nums(o._log_history);
    const counts = nums(o._count_history);
    values.forEach((v, i) => b.update(v, counts[i] ?? 1));
    return b;
  }
}
