import { expect } from 'chai';
import { decodeRle, encodeMask, rleFromPolygons, rleToCoco } from '../../../src/structures/mask';
import '../../../src/components';
import { t } from './helpers/sample';
import type { Results } from '../../../src/data/transforms/results';

describe('LoadAnnotations', () => {
  it('LoadAnnotations: boxes, labels, crowd flags, polygon and RLE masks at the image size', () => {
    const [h, w] = [6, 8];
    const bitmap = Uint8Array.from({ length: h * w }, (_, i) => (Math.floor(i / w) >= 3 && i % w >= 5 ? 1 : 0));
    const poly = [[1, 1, 4, 1, 4, 4, 1, 4]];
    const results: Results = {
      ori_shape: [h, w],
      instances: [
        { bbox: [1, 1, 4, 4], bbox_label: 2, ignore_flag: 0, mask: poly },
        { bbox: [5, 3, 8, 6], bbox_label: 0, ignore_flag: 1, mask: rleToCoco(encodeMask(bitmap, h, w, 'row-major')) },
        { bbox: [0, 0, 2, 2], bbox_label: 1, ignore_flag: 0, mask: [[0, 0, 1, 1]] }, // no valid outline
      ],
    };
    const r = t({ type: 'LoadAnnotations', with_mask: true }).transform(results) as Results;
    expect(r.gt_bboxes!.rows()).to.deep.equal([[1, 1, 4, 4], [5, 3, 8, 6], [0, 0, 2, 2]]);
    expect([...r.gt_bboxes_labels!]).to.deep.equal([2, 0, 1]);
    expect([...r.gt_ignore_flags!]).to.deep.equal([0, 1, 1]); // the invalid polygon is ignored, as mmdet
    const m = r.gt_masks!;
    expect([m.length, m.height, m.width]).to.deep.equal([3, h, w]);
    expect([...m.mask(0)]).to.deep.equal([...decodeRle(rleFromPolygons(poly, h, w), 'row-major')]);
    expect([...m.mask(1)]).to.deep.equal([...bitmap]);
    expect(m.areas()[2]).to.equal(0);
    expect(() => t({ type: 'LoadAnnotations', poly2mask: false })).to.throw(/pipeline\.0\.poly2mask: expected true/);
  });
});
