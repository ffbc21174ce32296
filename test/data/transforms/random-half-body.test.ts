import { expect } from 'chai';
import { Random } from '../../../src/core/random';
import { RandomHalfBody, randomHalfBodySchema } from '../../../src/data/transforms/random-half-body';
import type { PoseResults } from '../../../src/data/transforms/pose-results';
import { poseSample, pt } from './helpers/pose-sample';

const UPPER = [...Array(11).keys()];
const LOWER = [11, 12, 13, 14, 15, 16];

/** A generator whose draws are the given numbers, in order. */
const draws = (...v: number[]) => ({ next: () => v.shift()! }) as unknown as Random;

describe('RandomHalfBody (mmpose)', () => {
  const hb = new RandomHalfBody(randomHalfBodySchema.parse({}));

  it("mmpose 1's defaults", () => {
    expect(randomHalfBodySchema.parse({})).to.deep.equal({ min_total_keypoints: 9, min_upper_keypoints: 2, min_lower_keypoints: 3, padding: 1.5, prob: 0.3, upper_prioritized_prob: 0.7 });
  });

  it('selects the upper half when preferred, the lower otherwise, and none under the counts or the probability', () => {
    const all = new Array(17).fill(1);
    expect(hb.select(all, UPPER, LOWER, draws(0.1, 0.5))).to.deep.equal(UPPER); // 0.1 <= prob, 0.5 < 0.7: upper
    expect(hb.select(all, UPPER, LOWER, draws(0.1, 0.9))).to.deep.equal(LOWER);
    expect(hb.select(all, UPPER, LOWER, draws(0.31, 0.1))).to.equal(null); // above prob
    expect(hb.select([...new Array(8).fill(1), ...new Array(9).fill(0)], UPPER, LOWER, draws(0, 0))).to.equal(null); // 8 < 9 visible
    // two lower keypoints visible (< 3): the upper half whatever is preferred
    const fewLower = all.map((v, k) => (k >= 13 ? 0 : v));
    expect(hb.select(fewLower, UPPER, LOWER, draws(0, 0.99))).to.deep.equal(UPPER);
    // four upper keypoints visible (< 5 asked): the lower half whatever is preferred
    const strict = new RandomHalfBody(randomHalfBodySchema.parse({ min_upper_keypoints: 5 }));
    expect(strict.select(all.map((v, k) => (k < 7 ? 0 : v)), UPPER, LOWER, draws(0, 0.1))).to.deep.equal(LOWER);
    // only visible ids count
    const someUpper = all.map((v, k) => (k === 0 || k === 1 ? 0 : v));
    expect(hb.select(someUpper, UPPER, LOWER, draws(0, 0.1))).to.deep.equal(UPPER.slice(2));
  });

  it('the half-body box: centre = mean, scale = extent × 1.5', () => {
    // keypoints (k, 2k + 1); lower half k = 11..16: x 11..16, y 23..33
    const r = pt({ type: 'RandomHalfBody', prob: 1, upper_prioritized_prob: 0 }).transform({ ...poseSample(), bbox_center: [[30, 60]], bbox_scale: [[50, 100]] }) as PoseResults;
    expect(r.bbox_center).to.deep.equal([[13.5, 28]]);
    expect(r.bbox_scale).to.deep.equal([[7.5, 15]]);
    const kept = pt({ type: 'RandomHalfBody', prob: 0 }).transform({ ...poseSample(), bbox_center: [[30, 60]], bbox_scale: [[50, 100]] }) as PoseResults;
    expect([kept.bbox_center, kept.bbox_scale]).to.deep.equal([[[30, 60]], [[50, 100]]]);
    expect(() => pt({ type: 'RandomHalfBody' }).transform(poseSample())).to.throw(/needs 'bbox_center'/);
  });
});
