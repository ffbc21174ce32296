import { expect } from 'chai';
import '../../../src/components';
import { t, sample } from './helpers/sample';
import type { Results } from '../../../src/data/transforms/results';

describe('Pad', () => {
  it('Pad pads bottom/right to the size divisor with pad_val and records pad_shape', () => {
    const s = sample(5, 7);
    const r = t({ type: 'Pad', size_divisor: 4, pad_val: { img: 3 } }).transform(s) as Results;
    expect(r.pad_shape).to.deep.equal([8, 8]);
    expect(r.img_shape).to.deep.equal([5, 7]);
    const img = r.img!;
    expect([img.height, img.width]).to.deep.equal([8, 8]);
    expect([...img.data.subarray(0, 3)]).to.deep.equal([0, 1, 2]);
    expect(img.data[(0 * 8 + 7) * 3]).to.equal(3); // right of the image
    expect(img.data[(5 * 8 + 0) * 3]).to.equal(3); // below it
    expect(img.data[(4 * 8 + 6) * 3]).to.equal(s.img!.data[(4 * 7 + 6) * 3]);
    expect([r.gt_masks!.height, r.gt_masks!.width]).to.deep.equal([8, 8]);
    expect(r.gt_masks!.mask(0)[7]).to.equal(0);
    const sq = t({ type: 'Pad', pad_to_square: true, pad_val: 0 }).transform(sample(5, 7)) as Results;
    expect(sq.pad_shape).to.deep.equal([7, 7]);
    expect(() => t({ type: 'Pad', size: [8, 8] })).to.throw(/pipeline\.0\.size/);
  });
});
