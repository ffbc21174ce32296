import { expect } from 'chai';
import { Boxes } from '../../../src/structures/boxes';
import { BitmapMasks } from '../../../src/structures/masks';
import type { Results } from '../../../src/data/transforms/results';
import { t } from './helpers/sample';

/**
 * mmdetection's own test case (tests/test_datasets/test_transforms/test_transforms.py): two
 * boxes [2, 10, 4, 14] (2×4) and [2, 10, 2.1, 10.1] (0.1×0.1) on a 24×24 image, masks of
 * areas 8 and 0.
 */
function twoBoxes(): Results {
  const [h, w] = [24, 24];
  const masks = new Uint8Array(2 * h * w);
  for (let y = 10; y < 14; y++) for (let x = 2; x < 4; x++) masks[y * w + x] = 1;
  return {
    img_shape: [h, w],
    gt_bboxes: Boxes.fromRows([[2, 10, 4, 14], [2, 10, 2.1, 10.1]]),
    gt_bboxes_labels: Int32Array.from([3, 5]),
    gt_ignore_flags: Uint8Array.from([0, 1]),
    gt_masks: new BitmapMasks(masks, 2, h, w),
  };
}

describe("FilterAnnotations (mmdet's)", () => {
  // mmdetection's parametrised cases (kwargs → instances left, null: sample dropped), then two of hrdet's at the boundaries
  const cases: [Record<string, unknown>, number | null][] = [
    [{ min_gt_bbox_wh: [100, 100] }, null],
    [{ min_gt_bbox_wh: [100, 100], keep_empty: false }, 0],
    [{ min_gt_bbox_wh: [1, 1] }, 1],
    [{ min_gt_bbox_wh: [0.01, 0.01] }, 2],
    [{ min_gt_bbox_wh: [0.01, 0.01], by_mask: true }, 1],
    [{ by_mask: true }, 1],
    [{ by_box: false, by_mask: true }, 1],
    // strictly wider and taller: the 2×4 box fails (2, 4), passes (1.9, 3.9); mask area 8 passes 8, fails 9
    [{ min_gt_bbox_wh: [2, 4], keep_empty: false }, 0],
    [{ min_gt_bbox_wh: [1.9, 3.9] }, 1],
    [{ min_gt_mask_area: 8, by_mask: true, by_box: false }, 1],
    [{ min_gt_mask_area: 9, by_mask: true, by_box: false, keep_empty: false }, 0],
  ];
  for (const [kwargs, want] of cases) {
    it(`${JSON.stringify(kwargs)} → ${want === null ? 'sample dropped' : `${want} left`}`, () => {
      const r = t({ type: 'FilterAnnotations', ...kwargs }).transform(twoBoxes()) as Results | null;
      expect(r === null ? null : r.gt_bboxes!.length).to.equal(want);
    });
  }

  it('keeps the same instances in boxes, labels, masks and ignore flags', () => {
    const r = t({ type: 'FilterAnnotations' }).transform(twoBoxes()) as Results;
    expect(r.gt_bboxes!.rows()).to.deep.equal([[2, 10, 4, 14]]);
    expect([...r.gt_bboxes_labels!]).to.deep.equal([3]);
    expect([...r.gt_ignore_flags!]).to.deep.equal([0]);
    expect([r.gt_masks!.length, r.gt_masks!.areas()[0]]).to.deep.equal([1, 8]);
  });

  it('an image without boxes passes unchanged; the options are checked', () => {
    const empty: Results = { gt_bboxes: new Boxes(), gt_bboxes_labels: new Int32Array(0) };
    expect(t({ type: 'FilterAnnotations' }).transform(empty)).to.equal(empty);
    expect(() => t({ type: 'FilterAnnotations', by_box: false, by_mask: false })).to.throw(/pipeline\.0\.by_box: at least one of by_box and by_mask/);
    expect(() => t({ type: 'FilterAnnotations', by_mask: true }).transform({ gt_bboxes: Boxes.fromRows([[0, 0, 5, 5]]) })).to.throw(/by_mask needs gt_masks/);
  });
});
