import { evalDim, isStatic, sameDim, type Dim, type Env } from './sym-dim';

/**
 * The symbols of one trace, their traced values and what the traced graph says about them.
 *
 * Model code computes sizes from `x.shape` as plain numbers (the traced values). When such a
 * number comes back, e.g. as an interpolate target size, the tracer must find which symbolic
 * dimension it stands for. Two different expressions can have the same traced value; they
 * are interchangeable when they agree on every input size the graph accepts. Those sizes are
 * known from the graph itself: every elementwise op and concat between two symbolic dims
 * requires them to be equal. `equivalent` checks agreement on a sample of input sizes that
 * satisfy all recorded requirements.
 */
export class DimSpace {
  private readonly traced = new Map<string, number>();
  private readonly requirements: [Dim, Dim][] = [];
  private samples: Env[] | null = null;

  /** Register a symbol with its value in this trace. */
  addSymbol(name: string, tracedValue: number): void {
    this.traced.set(name, tracedValue);
    this.samples = null;
  }

  get symbols(): ReadonlyMap<string, number> {
    return this.traced;
  }

  /** Traced value of a dimension. */
  value(d: Dim): number {
    return evalDim(d, this.traced);
  }

  /** The graph is only valid where a == b (operands of one elementwise op or concat). */
  require(a: Dim, b: Dim): void {
    if (isStatic(a) && isStatic(b)) return;
    if (sameDim(a, b)) return;
    this.requirements.push([a, b]);
    if (this.samples) this.samples = this.samples.filter((env) => holds(a, b, env));
  }

  /**
   * True when the traced graph is valid for these symbol values (missing symbols keep their
   * traced value): every requirement holds and no dim it computed is empty.
   */
  accepts(values: ReadonlyMap<string, number>): boolean {
    const env = new Map(this.traced);
    for (const [k, v] of values) if (env.has(k)) env.set(k, v);
    return this.requirements.every(([a, b]) => holds(a, b, env));
  }

  /** True when a and b take the same value at every sampled valid input size. */
  equivalent(a: Dim, b: Dim): boolean {
    if (sameDim(a, b)) return true;
    if (isStatic(a) && isStatic(b)) return false;
    for (const env of this.validSamples()) {
      const [x, y] = [evalDim(a, env), evalDim(b, env)];
      // sizes where either side is empty or undefined are inputs the model cannot take anyway
      if (!(x > 0) || !(y > 0)) continue;
      if (x !== y) return false;
    }
    return true;
  }

  private validSamples(): Env[] {
    if (!this.samples) {
      this.samples = sampleEnvs(this.traced).filter((env) => this.requirements.every(([a, b]) => holds(a, b, env)));
    }
    return this.samples;
  }
}

function holds(a: Dim, b: Dim, env: Env): boolean {
  const [x, y] = [evalDim(a, env), evalDim(b, env)];
  return x === y && x > 0;
}

/** Candidate sizes per symbol: every small size, then multiples of 4 and 32 (typical strides). */
const SAMPLE_VALUES: number[] = (() => {
  const v: number[] = [];
  for (let i = 1; i <= 128; i++) v.push(i);
  for (let i = 132; i <= 2048; i += 4) v.push(i);
  for (let i = 2080; i <= 4096; i += 32) v.push(i);
  return v;
})();

/**
 * Sample environments: each symbol in turn takes every sample value while the others keep
 * their traced values (dims of one spatial axis depend on one symbol), plus joint variations.
 */
function sampleEnvs(traced: ReadonlyMap<string, number>): Env[] {
  const names = [...traced.keys()];
  const envs: Env[] = [traced];
  for (const name of names) {
    for (const v of [...SAMPLE_VALUES, traced.get(name)! + 1, traced.get(name)! - 1]) {
      if (v < 1) continue;
      envs.push(new Map(traced).set(name, v));
    }
  }
  if (names.length > 1) {
    const n = SAMPLE_VALUES.length;
    for (let i = 0; i < n; i++) {
      const env = new Map<string, number>();
      names.forEach((name, j) => env.set(name, SAMPLE_VALUES[(i * (2 * j + 1) + 7 * j) % n]));
      envs.push(env);
    }
  }
  return envs;
}
