/** The built-in (mmcv) Resize, RandomFlip and Pad on mmseg's label map `gt_seg_map`. */
import { expect } from 'chai';
import type { Results } from '../../../src/data/transforms/results';
import { t } from './helpers/sample';
import { labelsOf, segMap, segSample } from './helpers/seg-sample';

describe('Resize / RandomFlip / Pad on gt_seg_map', () => {
  it('Resize takes the label map to the image size with nearest sampling: only existing labels survive', () => {
    const s = { ...segSample(6, 9), gt_seg_map: segMap(6, 9, (y, x) => (x < 3 ? 1 : x < 6 ? 4 : 7)) };
    const r = t({ type: 'Resize', scale: [20, 13], keep_ratio: true }).transform(s) as Results;
    // keep_ratio: f = min(20 / 9, 13 / 6) = 2.1667 -> 13x20 (int(6f + 0.5), int(9f + 0.5))
    expect([r.gt_seg_map!.height, r.gt_seg_map!.width]).to.deep.equal([13, 20]);
    expect([r.img!.height, r.img!.width]).to.deep.equal([13, 20]);
    expect(labelsOf(r.gt_seg_map!)).to.deep.equal([1, 4, 7]);
    // nearest: destination x takes source floor(x * 9 / 20)
    const row = [...r.gt_seg_map!.data.subarray(0, 20)];
    expect(row).to.deep.equal(Array.from({ length: 20 }, (_, x) => [1, 4, 7][Math.floor(Math.floor((x * 9) / 20) / 3)]));
    const down = t({ type: 'Resize', scale: [4, 3] }).transform(segSample(6, 9)) as Results;
    expect([down.gt_seg_map!.height, down.gt_seg_map!.width]).to.deep.equal([3, 4]);
    expect([...down.gt_seg_map!.data]).to.deep.equal([255, 255, 255, 255, 0, 2, 1, 0, 0, 2, 1, 0]);
  });

  it('RandomFlip mirrors the label map and swaps swap_seg_labels pairs', () => {
    const s = { ...segSample(2, 4), gt_seg_map: segMap(2, 4, (y, x) => y * 4 + x) };
    const r = t({ type: 'RandomFlip', prob: 1, swap_seg_labels: [[0, 7]] }).transform(s) as Results;
    // horizontal: rows [3 2 1 0], [7 6 5 4], then 0 <-> 7
    expect([...r.gt_seg_map!.data]).to.deep.equal([3, 2, 1, 7, 0, 6, 5, 4]);
    expect(r.swap_seg_labels).to.deep.equal([[0, 7]]);
    const v = t({ type: 'RandomFlip', prob: 1, direction: 'vertical' }).transform({ ...s, rng: s.rng }) as Results;
    expect([...v.gt_seg_map!.data]).to.deep.equal([4, 5, 6, 7, 0, 1, 2, 3]);
  });

  it('Pad pads the label map with pad_val.seg (default 255)', () => {
    const r = t({ type: 'Pad', size_divisor: 4 }).transform(segSample(3, 2)) as Results;
    expect([r.gt_seg_map!.height, r.gt_seg_map!.width]).to.deep.equal([4, 4]);
    expect([...r.gt_seg_map!.data]).to.deep.equal([255, 255, 255, 255, 0, 1, 255, 255, 0, 1, 255, 255, 255, 255, 255, 255]);
    const z = t({ type: 'Pad', size_divisor: 4, pad_val: { img: 0, seg: 9 } }).transform(segSample(3, 2)) as Results;
    expect(z.gt_seg_map!.data[15]).to.equal(9);
  });
});
