import { expect } from 'chai';
import { Random } from '../../src/core/random';

describe('Random', () => {
  it('int(n) stays in [0, n) and covers it evenly', () => {
    const r = new Random(1);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 7000; i++) counts[r.int(7)]++;
    // mean 1000, sd ~28
    expect(Math.min(...counts)).to.be.greaterThan(850);
    expect(Math.max(...counts)).to.be.lessThan(1150);
    expect(() => r.int(0)).to.throw(/integer in \[1, 2\^32\]/);
  });

  it('choose(pool, k): k distinct members, deterministic per seed', () => {
    const pool = Int32Array.from({ length: 50 }, (_, i) => 100 + i);
    const x = new Random(9).choose(pool, 20);
    expect(new Set(x).size).to.equal(20);
    expect(x.every((v) => v >= 100 && v < 150)).to.equal(true);
    expect(Array.from(new Random(9).choose(pool, 20))).to.deep.equal(Array.from(x));
    expect(Array.from(pool.subarray(0, 3))).to.deep.equal([100, 101, 102]); // the pool is not shuffled in place
    expect(new Random(9).choose(pool, 0).length).to.equal(0);
    expect(() => new Random(9).choose(pool, 51)).to.throw(/cannot draw 51 of 50/);
  });
});
