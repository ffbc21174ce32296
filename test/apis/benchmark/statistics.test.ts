import { expect } from 'chai';
import { latencyStats, medianStages, quantile } from '../../../src/apis/benchmark/statistics';

describe('benchmark statistics', () => {
  it('interpolates quantiles between closest ranks (numpy linear)', () => {
    // numpy.quantile([1, 2, 3, 4], [0.5, 0.9]) = [2.5, 3.7]
    expect(quantile([1, 2, 3, 4], 0.5)).to.equal(2.5);
    expect(quantile([1, 2, 3, 4], 0.9)).to.be.closeTo(3.7, 1e-12);
    expect(quantile([7], 0.9)).to.equal(7);
    expect(quantile([], 0.5)).to.be.NaN;
  });

  it('summarises runs in any order: median, p90, min, max, mean, spread', () => {
    const s = latencyStats([30, 10, 20, 40, 100]);
    expect(s.median).to.equal(30);
    expect(s.p90).to.be.closeTo(76, 1e-12); // 40 + 0.6 * (100 - 40)
    expect(s.min).to.equal(10);
    expect(s.max).to.equal(100);
    expect(s.mean).to.equal(40);
    expect(s.spread).to.equal(3); // (100 - 10) / 30
  });

  it('takes the median of each stage over runs', () => {
    const m = medianStages([{ a: 1, b: 10 }, { a: 3, b: 30 }, { a: 2 }]);
    expect(m).to.deep.equal({ a: 2, b: 20 });
    expect(medianStages([{}, {}])).to.deep.equal({});
  });
});
