import { expect } from 'chai';
import { Random } from '../../../src/core/random';
import { RandomBBoxTransform, randomBBoxTransformSchema, truncNormal } from '../../../src/data/transforms/random-bbox-transform';
import type { PoseResults } from '../../../src/data/transforms/pose-results';
import { poseSample, pt } from './helpers/pose-sample';

describe('RandomBBoxTransform (mmpose)', () => {
  it("mmpose 1's defaults", () => {
    expect(randomBBoxTransformSchema.parse({})).to.deep.equal({ shift_factor: 0.16, shift_prob: 0.3, scale_factor: [0.5, 1.5], scale_prob: 1, rotate_factor: 80, rotate_prob: 0.6 });
  });

  it('with every probability 1, t = (0.5, -0.25, 0.5, -1): shift 0.08 / -0.04 of the scale, factor 1.25, -80 degrees', () => {
    const normals = [0.5, -0.25, 0.5, -1];
    const uniforms = [0.2, 0.2, 0.2];
    const rng = { normal: () => normals.shift()!, next: () => uniforms.shift()! } as unknown as Random;
    const tr = pt({ type: 'RandomBBoxTransform', shift_prob: 1, rotate_prob: 1 });
    const r = tr.transform({ ...poseSample(), bbox_center: [[30, 60]], bbox_scale: [[50, 100]], rng }) as PoseResults;
    expect(r.bbox_center![0][0]).to.be.closeTo(30 + 0.08 * 50, 1e-5);
    expect(r.bbox_center![0][1]).to.be.closeTo(60 - 0.04 * 100, 1e-5);
    expect(r.bbox_scale).to.deep.equal([[62.5, 125]]);
    expect(r.bbox_rotation).to.deep.equal([-80]);
  });

  it('coin flips above the probabilities leave the box: no shift, scale 1, no rotation', () => {
    const rng = { normal: () => 0.5, next: () => 0.99 } as unknown as Random;
    const r = pt({ type: 'RandomBBoxTransform', scale_prob: 0.9 }).transform({ ...poseSample(), bbox_center: [[30, 60]], bbox_scale: [[50, 100]], rng }) as PoseResults;
    expect([r.bbox_center, r.bbox_scale, r.bbox_rotation]).to.deep.equal([[[30, 60]], [[50, 100]], [0]]);
  });

  it('draws are the truncated normal in [-1, 1] (std 0.54) and seeded', () => {
    const rng = new Random(4);
    const t = Array.from({ length: 20000 }, () => truncNormal(rng));
    expect(Math.min(...t)).to.be.at.least(-1);
    expect(Math.max(...t)).to.be.at.most(1);
    const sd = Math.sqrt(t.reduce((a, v) => a + v * v, 0) / t.length);
    expect(sd).to.be.closeTo(0.5396, 0.01); // truncnorm(-1, 1).std()
    const tr = new RandomBBoxTransform(randomBBoxTransformSchema.parse({}));
    expect(tr.draw(new Random(8))).to.deep.equal(tr.draw(new Random(8)));
    expect(() => pt({ type: 'RandomBBoxTransform', scale_factor: [1.5, 0.5] })).to.throw(/pipeline\.0\.scale_factor: expected \(min, max\)/);
  });
});
