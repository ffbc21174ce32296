import { expect } from 'chai';
import type { PoseResults } from '../../../src/data/transforms/pose-results';
import { poseSample, pt } from './helpers/pose-sample';

describe('GetBBoxCenterScale (mmpose)', () => {
  it('box [10, 20, 50, 100] → centre (30, 60), scale (40, 80) × 1.25 = (50, 100)', () => {
    const r = pt({ type: 'GetBBoxCenterScale' }).transform(poseSample()) as PoseResults;
    expect(r.bbox_center).to.deep.equal([[30, 60]]);
    expect(r.bbox_scale).to.deep.equal([[50, 100]]);
    const p = pt({ type: 'GetBBoxCenterScale', padding: 1 }).transform(poseSample()) as PoseResults;
    expect(p.bbox_scale).to.deep.equal([[40, 80]]);
  });

  it('an existing centre and scale only get the padding; no box is an error naming the key', () => {
    const r = pt({ type: 'GetBBoxCenterScale', padding: 2 }).transform({ ...poseSample(), bbox_center: [[1, 2]], bbox_scale: [[3, 4]] }) as PoseResults;
    expect([r.bbox_center, r.bbox_scale]).to.deep.equal([[[1, 2]], [[6, 8]]]);
    expect(() => pt({ type: 'GetBBoxCenterScale' }).transform({ img_path: 'a.jpg' })).to.throw(/a\.jpg: GetBBoxCenterScale needs 'bbox'/);
  });

  it('is found under default_scope mmpose or as mmpose.GetBBoxCenterScale only', async () => {
    const { build } = await import('../../../src/registry/container');
    const { TRANSFORMS } = await import('../../../src/registry/registries');
    expect(() => build(TRANSFORMS, { type: 'GetBBoxCenterScale' }, { path: 'pipeline.1' })).to.throw(/pipeline\.1\.type: unknown transform type 'GetBBoxCenterScale'/);
    expect(build(TRANSFORMS, { type: 'mmpose.GetBBoxCenterScale' }, { path: 'p' })).to.have.property('transform');
  });
});
