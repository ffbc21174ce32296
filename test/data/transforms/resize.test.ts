import { expect } from 'chai';
import '../../../src/components';
import { t, sample } from './helpers/sample';
import type { PipelineImage, Results } from '../../../src/data/transforms/results';
import { resizeImage } from '../../../src/data/transforms/image-ops';
import { targetSize } from '../../../src/data/transforms/resize';

describe('Resize', () => {
  it('keep_ratio follows mmcv rescale_size: scale by min(long/max, short/min), round int(x + 0.5)', () => {
    // 40x60 into (100, 50): min(100/60, 50/40) = 1.25 -> 50x75
    expect(targetSize(40, 60, { scale: [100, 50], keep_ratio: true })).to.deep.equal([50, 75]);
    // 30x47 into (64, 32): f = 32/30 -> h = int(32 + .5) = 32, w = int(50.13 + .5) = 50
    expect(targetSize(30, 47, { scale: [64, 32], keep_ratio: true })).to.deep.equal([32, 50]);
    // the same limits either way round: mmcv takes the long and short edges of scale
    expect(targetSize(30, 47, { scale: [32, 64], keep_ratio: true })).to.deep.equal([32, 50]);
    expect(targetSize(30, 47, { scale: [64, 32], keep_ratio: false })).to.deep.equal([32, 64]);
    expect(targetSize(30, 47, { scale_factor: 0.5, keep_ratio: false })).to.deep.equal([15, 24]);
  });
  it('Resize records (w, h) scale factors of the sizes produced and scales and clips the boxes', () => {
    const r = t({ type: 'Resize', scale: [64, 32], keep_ratio: true }).transform(sample(30, 47)) as Results;
    expect(r.img_shape).to.deep.equal([32, 50]);
    expect(r.scale_factor).to.deep.equal([50 / 47, 32 / 30]);
    expect([r.img!.height, r.img!.width]).to.deep.equal([32, 50]);
    const [b0] = r.gt_bboxes!.rows();
    expect(b0[0]).to.be.closeTo(10 * (50 / 47), 1e-5);
    expect(b0[1]).to.be.closeTo(10 * (32 / 30), 1e-5);
    expect(b0[2]).to.equal(50); // 47 * 50/47 clipped to the new width
    expect([r.gt_masks!.height, r.gt_masks!.width]).to.deep.equal([32, 50]);
  });
  it('bilinear resize samples pixel centres and clamps at the edges as OpenCV INTER_LINEAR', () => {
    const img: PipelineImage = { data: Uint8Array.from([0, 100]), height: 1, width: 2, channels: 1, order: 'gray' };
    expect([...resizeImage(img, 1, 4, 'bilinear').data]).to.deep.equal([0, 25, 75, 100]);
    expect([...resizeImage(img, 1, 4, 'nearest').data]).to.deep.equal([0, 0, 100, 100]);
  });
  it('Resize rejects scale and scale_factor together, and neither', () => {
    expect(() => t({ type: 'Resize', scale: [10, 10], scale_factor: 2 })).to.throw(/pipeline\.0\.scale: give exactly one/);
    expect(() => t({ type: 'Resize' })).to.throw(/exactly one/);
  });
});
