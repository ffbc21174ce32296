import { expect } from 'chai';
import { Random } from '../../../src/core/random';
import '../../../src/components';
import { t, ramp, sample } from './helpers/sample';
import type { Results } from '../../../src/data/transforms/results';

describe('RandomFlip', () => {
  it('RandomFlip prob 1 mirrors image, boxes and masks; prob 0 records no flip', () => {
    const s = sample(4, 60);
    const r = t({ type: 'RandomFlip', prob: 1 }).transform(s) as Results;
    expect(r.flip).to.equal(true);
    expect(r.flip_direction).to.equal('horizontal');
    expect(r.gt_bboxes!.rows()[0]).to.deep.equal([0, 10, 50, 30]); // [10, 10, 60, 30] mirrored in width 60
    expect(r.gt_bboxes!.rows()[1]).to.deep.equal([55, 0, 60, 5]);
    // pixel (0, 0) now holds what (0, 59) held
    expect([...r.img!.data.subarray(0, 3)]).to.deep.equal([...s.img!.data.subarray(59 * 3, 60 * 3)]);
    expect(r.gt_masks!.mask(0)[59]).to.equal(1);
    expect(r.gt_masks!.mask(0)[0]).to.equal(0);
    const n = t({ type: 'RandomFlip', prob: 0 }).transform(sample(4, 60)) as Results;
    expect([n.flip, n.flip_direction]).to.deep.equal([false, null]);
  });
  it('RandomFlip draws from results.rng: a seed repeats the decisions, frequencies follow prob', () => {
    const flip = t({ type: 'RandomFlip', prob: [0.3, 0.2], direction: ['horizontal', 'vertical'] });
    const run = (seed: number) => {
      const rng = new Random(seed);
      return Array.from({ length: 2000 }, () => (flip.transform({ img: ramp(1, 1), img_shape: [1, 1], rng }) as Results).flip_direction);
    };
    const a = run(5);
    expect(run(5)).to.deep.equal(a);
    const share = (d: unknown) => a.filter((x) => x === d).length / a.length;
    expect(share('horizontal')).to.be.closeTo(0.3, 0.04);
    expect(share('vertical')).to.be.closeTo(0.2, 0.04);
    expect(share(null)).to.be.closeTo(0.5, 0.04);
    expect(() => flip.transform({ img: ramp(1, 1) })).to.throw(/needs results.rng/);
    expect(() => t({ type: 'RandomFlip', prob: [0.5] })).to.throw(/direction list of the same length/);
  });
});
