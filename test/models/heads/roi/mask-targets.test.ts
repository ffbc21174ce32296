import { expect } from 'chai';
import type { Tensor } from '../../../../src/core/tensor';
import { cropAndResize, maskTargets, roiAlignMask } from '../../../../src/models/heads/roi/mask-targets';
import type { FCNMaskHead } from '../../../../src/models/heads/roi/fcn-mask-head';
import { build } from '../../../../src/registry/container';
import { HEADS } from '../../../../src/registry/registries';
import type { SamplingResult } from '../../../../src/models/task-modules/samplers/sampling-result';
import { BitmapMasks } from '../../../../src/structures/masks';
import { describeOnBackends } from '../../../core/helpers/backends';
import '../../../../src/components';

/** An H x W 0/1 mask with the pixels (row, col) for which `on` holds. */
function mask(H: number, W: number, on: (y: number, x: number) => boolean): Uint8Array {
  return Uint8Array.from({ length: H * W }, (_, i) => (on(Math.floor(i / W), i % W) ? 1 : 0));
}

/** What maskTargets reads of a SamplingResult: the positive priors and their GT indices. */
const positives = (boxes: number[], gtInds: number[], labels = gtInds.map(() => 0)) =>
  ({ posPriors: Float32Array.from(boxes), posAssignedGtInds: Int32Array.from(gtInds), posGtLabels: Int32Array.from(labels), posInds: Int32Array.from(gtInds), negInds: new Int32Array(0) }) as unknown as SamplingResult;

describe('mask targets (mmdetection mask_target: crop_and_resize, RoIAlign aligned, binarised at 0.5)', () => {
  const square = new BitmapMasks(mask(8, 8, (y, x) => y >= 2 && y < 6 && x >= 2 && x < 6), 1, 8, 8);

  it('a RoI on the mask square: every target pixel 1; the whole image at 2x2: each bin averages a 4x4 grid (0.25 < 0.5)', () => {
    expect(Array.from(cropAndResize(square, Float32Array.of(2, 2, 6, 6), Int32Array.of(0), [4, 4]))).to.deep.equal(new Array(16).fill(1));
    // grid ceil(8 / 2) = 4 samples a side at the pixel centres: 4 of each bin's 16 pixels are set
    expect(Array.from(roiAlignMask(square.mask(0), 8, 8, [0, 0, 8, 8], 2, 2))).to.deep.equal([0.25, 0.25, 0.25, 0.25]);
    expect(Array.from(cropAndResize(square, Float32Array.of(0, 0, 8, 8), Int32Array.of(0), [2, 2]))).to.deep.equal([0, 0, 0, 0]);
  });

  it('bilinear samples between pixels; exactly 0.5 binarises to 1 (>= 0.5)', () => {
    const column = mask(4, 4, (_, x) => x === 1);
    // x1 - 0.5 = 0, bins 1 px wide, one sample each at x = 0.5 and 1.5: half on column 1
    expect(Array.from(roiAlignMask(column, 4, 4, [0.5, 0, 2.5, 4], 1, 2))).to.deep.equal([0.5, 0.5]);
    // shifted by -0.25: samples at 0.25 (a quarter of column 1) and 1.25 (three quarters)
    const v = Array.from(roiAlignMask(column, 4, 4, [0.25, 0, 2.25, 4], 1, 2));
    [0.25, 0.75].forEach((e, k) => expect(v[k]).to.be.closeTo(e, 1e-12));
    const m = new BitmapMasks(column, 1, 4, 4);
    expect(Array.from(cropAndResize(m, Float32Array.of(0.5, 0, 2.5, 4), Int32Array.of(0), [1, 2]))).to.deep.equal([1, 1]);
    expect(Array.from(cropAndResize(m, Float32Array.of(0.25, 0, 2.25, 4), Int32Array.of(0), [1, 2]))).to.deep.equal([0, 1]);
  });

  it('a RoI crossing the border is clipped to the mask first; each RoI reads its own GT mask; images concatenate', () => {
    const left = mask(8, 8, (_, x) => x < 2);
    const two = new BitmapMasks(Uint8Array.from([...square.mask(0), ...left]), 2, 8, 8);
    // (-4, 0, 4, 8) is clipped to (0, 0, 4, 8): the left half of its 1x2 target is the 2 set columns of 4 sampled
    expect(Array.from(cropAndResize(two, Float32Array.of(-4, 0, 4, 8), Int32Array.of(1), [1, 2]))).to.deep.equal([1, 0]);
    // unclipped, the left bin's samples at x = -4, -3, -2 are beyond one pixel outside (0) and
    // the one at x = -1 clamps to column 0 (1): 0.25; the right bin samples columns 0..3: 0.5
    expect(Array.from(roiAlignMask(left, 8, 8, [-4, 0, 4, 8], 1, 2))).to.deep.equal([0.25, 0.5]);
    const t = maskTargets([positives([2, 2, 6, 6], [0]), positives([], []), positives([-4, 0, 4, 8, 2, 2, 6, 6], [1, 0])], [two, two, two], [1, 2]);
    expect(Array.from(t)).to.deep.equal([1, 1, 1, 0, 1, 1]);
  });

  it('no positive RoI: no targets', () => {
    expect(maskTargets([positives([], [])], [square], [28, 28]).length).to.equal(0);
  });
});

describeOnBackends('FCNMaskHead.lossAndTarget (loss_mask: BCE of the GT-class channel, mean over M x h x w)', (h) => {
  const head = (classAgnostic: boolean) =>
    build(HEADS, { type: 'FCNMaskHead', num_convs: 0, in_channels: 1, conv_out_channels: 1, num_classes: 2, class_agnostic: classAgnostic }, { path: 'mask_head' }) as FCNMaskHead;
  const bce = (x: number, t: number) => Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)));

  it('each RoI scored on its label channel against its targets', () => {
    const m = new BitmapMasks(mask(8, 8, (y, x) => y >= 2 && y < 6 && x >= 2 && x < 6), 1, 8, 8);
    // RoI 0 on the square (targets all 1), label 1; RoI 1 on the empty corner (targets 0), label 0
    const results = [positives([2, 2, 6, 6, 0, 0, 2, 2], [0, 0], [1, 0])];
    const logits = [
      ...[9, 9, 9, 9, 0.5, -1, 2, 0], // RoI 0: channel 0 (not its class), channel 1
      ...[-2, 0, 1, 3, 9, 9, 9, 9], // RoI 1: channel 0 (its class), channel 1
    ];
    const { loss, targets } = h.run(() => {
      const r = head(false).lossAndTarget(h.f32([2, 2, 2, 2], logits), results, [m], [2, 2]);
      return { loss: h.read(r.loss).data[0] as number, targets: r.targets };
    });
    expect(Array.from(targets)).to.deep.equal([1, 1, 1, 1, 0, 0, 0, 0]);
    const expected = ([0.5, -1, 2, 0].reduce((a, x) => a + bce(x, 1), 0) + [-2, 0, 1, 3].reduce((a, x) => a + bce(x, 0), 0)) / 8;
    expect(loss).to.be.closeTo(expected, 1e-6);
  });

  it('a mask_size that does not match the logits is a user error naming train_cfg.rcnn.mask_size', () => {
    const m = new BitmapMasks(new Uint8Array(64), 1, 8, 8);
    expect(() => h.run(() => head(true).lossAndTarget(h.f32([1, 1, 2, 2], [0, 0, 0, 0]), [positives([0, 0, 4, 4], [0])], [m], [4, 4]) as unknown as Tensor)).to.throw(/mask_size is 4x4/);
  });
});
