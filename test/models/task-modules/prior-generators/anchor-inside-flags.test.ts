import { expect } from 'chai';
import { anchorInsideFlags } from '../../../../src/models/task-modules/prior-generators/anchor-inside-flags';
import { boxes } from '../helpers';

describe('anchor_inside_flags', () => {
  const anchors = boxes([
    [0, 0, 10, 10],
    [-1, 0, 10, 10],
    [0, 0, 20, 10],
    [0, 0, 19.5, 14.9],
    [-3, -3, 22, 17],
    [-3.5, 0, 5, 5],
  ]);
  const valid = Uint8Array.of(1, 1, 1, 0, 1, 1);

  it('allowed_border 0: inside the image, x2 < w and y2 < h strictly, and valid', () => {
    expect(Array.from(anchorInsideFlags(anchors, valid, [15, 20], 0))).to.deep.equal([1, 0, 0, 0, 0, 0]);
  });

  it('a positive border widens the image; a negative one keeps the valid flags', () => {
    expect(Array.from(anchorInsideFlags(anchors, valid, [15, 20], 3))).to.deep.equal([1, 1, 1, 0, 1, 0]);
    expect(Array.from(anchorInsideFlags(anchors, valid, [15, 20], -1))).to.deep.equal(Array.from(valid));
  });
});
