import { expect } from 'chai';
import { Random } from '../../../src/core/random';
import type { PackedSample } from '../../../src/data/transforms/pack-det-inputs';
import type { RandomResizedCrop } from '../../../src/data/transforms/random-resized-crop';
import type { Results } from '../../../src/data/transforms/results';
import type { ClsDataSample } from '../../../src/structures/cls-data-sample';
import { Boxes } from '../../../src/structures/boxes';
import { ramp, t } from './helpers/sample';
import { segSample } from './helpers/seg-sample';

/** Python's round for these tests' half cases. */
const pyRound = (x: number) => (Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x));

describe("mmpretrain's RandomResizedCrop", () => {
  const rrc = (cfg: Record<string, unknown> = {}) => t({ type: 'RandomResizedCrop', scale: 8, ...cfg }) as unknown as RandomResizedCrop;

  it('draws area share, log-uniform aspect ratio and offsets from the rng, in that order', () => {
    const seed = 21;
    const g = new Random(seed);
    // on a 90x100 image half of the area at most always fits: the first attempt is taken
    const target = g.uniform(0.08, 0.5) * 9000;
    const ratio = Math.exp(g.uniform(Math.log(3 / 4), Math.log(4 / 3)));
    const [tw, th] = [pyRound(Math.sqrt(target * ratio)), pyRound(Math.sqrt(target / ratio))];
    const want = [g.int(90 - th + 1), g.int(100 - tw + 1), th, tw];
    expect(rrc({ crop_ratio_range: [0.08, 0.5] }).cropParams(90, 100, new Random(seed))).to.deep.equal(want);
  });

  it('falls back to the central crop clamped to the ratio range after max_attempts', () => {
    // crops larger than the image always fail: crop_ratio_range above 1
    const c = rrc({ crop_ratio_range: [4, 5] });
    expect(c.cropParams(10, 40, new Random(1))).to.deep.equal([0, 13, 10, 13]); // w/h = 4 > 4/3: w = round(10 * 4/3) = 13, x = (40 - 13) // 2
    expect(c.cropParams(40, 10, new Random(1))).to.deep.equal([13, 0, 13, 10]); // h = round(10 / (3/4)) = 13
    expect(c.cropParams(10, 12, new Random(1))).to.deep.equal([0, 0, 10, 12]);
    expect(rrc({ max_attempts: 0 }).cropParams(10, 12, new Random(1))).to.deep.equal([0, 0, 10, 12]);
  });

  it('resizes the crop to scale (h, w): invariants over seeds', () => {
    const c = t({ type: 'RandomResizedCrop', scale: [6, 9], backend: 'pillow', interpolation: 'bicubic' });
    for (let seed = 0; seed < 30; seed++) {
      const r = c.transform({ img: ramp(30, 20), rng: new Random(seed) }) as Results;
      expect(r.img_shape).to.deep.equal([6, 9]);
      expect([r.img!.height, r.img!.width]).to.deep.equal([6, 9]);
      const [y, x, h, w] = (c as unknown as RandomResizedCrop).cropParams(30, 20, new Random(seed));
      expect(y + h).to.be.at.most(30);
      expect(x + w).to.be.at.most(20);
      expect(w / h).to.be.within(3 / 4 - 0.2, 4 / 3 + 0.2);
    }
    expect(() => t({ type: 'RandomResizedCrop', scale: 8, interpolation: 'bicubic' })).to.throw(/^pipeline\.0\.interpolation: 'bicubic' is available with backend 'pillow' only/);
    expect(() => t({ type: 'RandomResizedCrop', scale: 8, crop_ratio_range: [1, 0.5] })).to.throw(/^pipeline\.0\.crop_ratio_range: should be \(min, max\)/);
  });
});

describe("mmpretrain's ResizeEdge", () => {
  it('short edge to scale, the other truncated; scale and scale_factor recorded', () => {
    const r = t({ type: 'ResizeEdge', scale: 8 }).transform({ img: ramp(10, 15) }) as Results;
    // short edge h = 10: height 8, width int(8 * 15 / 10) = 12
    expect(r.img_shape).to.deep.equal([8, 12]);
    expect(r.scale).to.deep.equal([12, 8]);
    expect(r.scale_factor).to.deep.equal([12 / 15, 0.8]);
    const l = t({ type: 'ResizeEdge', scale: 7, edge: 'long' }).transform({ img: ramp(10, 15) }) as Results;
    expect(l.img_shape).to.deep.equal([4, 7]); // int(7 * 10 / 15) = 4
    const sq = t({ type: 'ResizeEdge', scale: 5, edge: 'width' }).transform({ img: ramp(9, 9) }) as Results;
    expect(sq.img_shape).to.deep.equal([5, 5]);
  });
});

describe("mmcv's CenterCrop", () => {
  it('crop_size is (w, h); the offset is round((H - h) / 2) with ties to even; seg map and boxes follow', () => {
    const s = { ...segSample(7, 9), gt_bboxes: Boxes.fromRows([[0, 0, 9, 7], [7, 5, 8, 6]]) };
    const r = t({ type: 'CenterCrop', crop_size: [4, 2] }).transform(s) as Results;
    // y1 = round(5 / 2) = 2 (tie to even), x1 = round(5 / 2) = 2
    expect(r.img_shape).to.deep.equal([2, 4]);
    expect(r.pad_shape).to.deep.equal([2, 4]);
    expect(r.img!.data[0]).to.equal((10 * (2 * 9 + 2)) % 256);
    expect([...r.gt_seg_map!.data]).to.deep.equal([2, 0, 1, 2, 2, 0, 1, 2]);
    expect(r.gt_bboxes!.rows()).to.deep.equal([[0, 0, 4, 2], [4, 2, 4, 2]]);
    const odd = t({ type: 'CenterCrop', crop_size: 2 }).transform({ img: ramp(5, 5) }) as Results;
    expect(odd.img!.data[0]).to.equal((10 * (2 * 5 + 2)) % 256); // round(1.5) = 2
  });

  it('a window larger than the image keeps that side, or auto_pad pads first', () => {
    expect((t({ type: 'CenterCrop', crop_size: [10, 3] }).transform({ img: ramp(5, 4) }) as Results).img_shape).to.deep.equal([3, 4]);
    const p = t({ type: 'CenterCrop', crop_size: [6, 6], auto_pad: true }).transform(segSample(4, 5)) as Results;
    expect(p.img_shape).to.deep.equal([6, 6]);
    expect(p.gt_seg_map!.data[35]).to.equal(255);
    expect(p.img!.data[35 * 3]).to.equal(0);
  });
});

describe("mmpretrain's PackInputs", () => {
  it('packs the image and gt_label (a number or a list) into a ClsDataSample with the present meta keys', () => {
    const p = t({ type: 'PackInputs' }).transform({ img: ramp(2, 2), gt_label: 3, img_path: 'x.jpg', sample_idx: 4, ori_shape: [2, 2] }) as unknown as PackedSample<ClsDataSample>;
    expect(p.inputs.shape).to.deep.equal([3, 2, 2]);
    expect([...p.data_samples.gt_label!]).to.deep.equal([3]);
    expect(p.data_samples.metainfo).to.deep.equal({ sample_idx: 4, img_path: 'x.jpg', ori_shape: [2, 2] });
    const q = t({ type: 'PackInputs', algorithm_keys: ['extra'] }).transform({ img: ramp(1, 1), gt_label: [1, 2], gt_score: [0.5, 0.5], extra: 'e' }) as unknown as PackedSample<ClsDataSample>;
    expect([...q.data_samples.gt_label!]).to.deep.equal([1, 2]);
    expect([...q.data_samples.gt_score!]).to.deep.equal([0.5, 0.5]);
    expect((q.data_samples as unknown as Record<string, unknown>).extra).to.equal('e');
    expect(() => t({ type: 'PackInputs' }).transform({ img_path: 'y.jpg' })).to.throw(/^y\.jpg: PackInputs needs 'img'/);
  });
});
