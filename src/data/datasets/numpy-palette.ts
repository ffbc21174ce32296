/**
 * The palette mmseg makes for classes without one: `np.random.seed(42)` then
 * `np.random.randint(0, 255, size=(n, 3))`, i.e. numpy's legacy MT19937 seeded with 42 and
 * each value a 32-bit draw masked to 8 bits, redrawn while above 254. Reproduced so a
 * dataset's palette is the one mmseg shows for it.
 */
export function mmsegRandomPalette(n: number): [number, number, number][] {
  const mt = new Mt19937(42);
  const out: [number, number, number][] = [];
  const draw = () => {
    let v: number;
    do v = mt.uint32() & 0xff;
    while (v > 254);
    return v;
  };
  for (let i = 0; i < n; i++) out.push([draw(), draw(), draw()]);
  return out;
}

/** The Mersenne Twister (MT19937) with numpy's integer seeding (init_genrand). */
class Mt19937 {
  private readonly mt = new Uint32Array(624);
  private index = 624;

  constructor(seed: number) {
    this.mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = this.mt[i - 1] ^ (this.mt[i - 1] >>> 30);
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  uint32(): number {
    if (this.index >= 624) this.twist();
    let y = this.mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < 624; i++) {
      const y = (mt[i] & 0x80000000) | (mt[(i + 1) % 624] & 0x7fffffff);
      mt[i] = mt[(i + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.index = 0;
  }
}
