/**
 * Seeded pseudo-random numbers for weight initialisation, training-time sampling and tests
 * (xoshiro128**), so a model built twice with the same seed has the same weights on every
 * engine and a training run with the same seed samples the same RoIs.
 */
export class Random {
  private s: Uint32Array;

  constructor(seed = 0) {
    this.s = new Uint32Array(4);
    // splitmix32 to spread the seed over the state
    let z = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      z = (z + 0x9e3779b9) >>> 0;
      let t = z;
      t = Math.imul(t ^ (t >>> 16), 0x85ebca6b) >>> 0;
      t = Math.imul(t ^ (t >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (t ^ (t >>> 16)) >>> 0;
    }
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform 32-bit unsigned integer. */
  uint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform integer in [0, n) for 1 <= n <= 2^32, without modulo bias (rejection). */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 4294967296) throw new Error(`Random.int: n must be an integer in [1, 2^32], got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    let r = this.uint32();
    while (r >= limit) r = this.uint32();
    return r % n;
  }

  /**
   * `k` distinct elements of `pool`, each k-subset equally likely, in random order (a
   * partial Fisher-Yates shuffle of a copy; torch.randperm(n)[:k] has the same law).
   */
  choose(pool: Int32Array, k: number): Int32Array {
    if (!Number.isInteger(k) || k < 0 || k > pool.length) throw new Error(`Random.choose: cannot draw ${k} of ${pool.length} elements`);
    const a = Int32Array.from(pool);
    for (let i = 0; i < k; i++) {
      const j = i + this.int(a.length - i);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a.subarray(0, k).slice();
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [lo, hi], both ends included. */
  between(lo: number, hi: number): number {
    return lo + Math.floor((hi - lo + 1) * this.next());
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty list, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(items.length * this.next())];
  }

  /**
   * An independent stream named by `keys` under `seed` (e.g. seed, split, image index): the
   * same names always give the same stream, whatever else was drawn before or elsewhere.
   */
  static derive(seed: number, ...keys: number[]): Random {
    let h = mix32(seed >>> 0);
    for (const k of keys) h = mix32((h ^ (k >>> 0)) + 0x9e3779b9);
    return new Random(h);
  }

  /** Standard normal (Box-Muller). */
  normal(mean = 0, std = 1): number {
    let u = this.next();
    while (u === 0) u = this.next();
    const v = this.next();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fill `out` with N(mean, std) values, using both outputs of each Box-Muller draw. */
  fillNormal(out: Float32Array, mean = 0, std = 1): Float32Array {
    for (let i = 0; i < out.length; i += 2) {
      let u = this.next();
      while (u === 0) u = this.next();
      const r = std * Math.sqrt(-2 * Math.log(u));
      const t = 2 * Math.PI * this.next();
      out[i] = mean + r * Math.cos(t);
      if (i + 1 < out.length) out[i + 1] = mean + r * Math.sin(t);
    }
    return out;
  }

  fillUniform(out: Float32Array, lo: number, hi: number): Float32Array {
    const span = hi - lo;
    for (let i = 0; i < out.length; i++) out[i] = lo + span * this.next();
    return out;
  }

  /** A Float32Array of N(mean, std) values. */
  normalArray(n: number, mean = 0, std = 1): Float32Array {
    return this.fillNormal(new Float32Array(n), mean, std);
  }
}

/** murmur3's 32-bit finaliser: every input bit reaches every output bit. */
function mix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

let global = new Random(0);

/** The generator initialisers draw from; `seed()` makes builds reproducible. */
export function globalRandom(): Random {
  return global;
}

export function seed(s: number): void {
  global = new Random(s);
}
