import { expect } from 'chai';
import { pasteMask, pasteMasks } from '../../../../src/models/heads/roi/paste-masks';

/** The pasted H x W bitmap as rows of 0/1 strings (row y = string of x values). */
function paste(mask: number[][], box: number[], h: number, w: number, thr: number): string[] {
  const out = new Uint8Array(h * w);
  pasteMask(Float32Array.from(mask.flat()), mask.length, mask[0].length, box, h, w, thr, out);
  return Array.from({ length: h }, (_, y) => Array.from(out.subarray(y * w, (y + 1) * w)).join(''));
}

const ones = [
  [1, 1],
  [1, 1],
];

describe("pasteMask: mmdetection's _do_paste_mask (grid_sample bilinear, align_corners=False, skip_empty)", function () {
  it('a box on whole pixels of an all-ones mask covers exactly its pixels', function () {
    // box pixels x 2..5, y 1..4: a corner pixel samples (-0.25, -0.25) in mask cells,
    // 0.75 * 0.75 = 0.5625 >= 0.5; the next pixel out samples -0.75: 0.25 * 1 < 0.5
    expect(paste(ones, [2, 1, 6, 5], 6, 8, 0.5)).to.deep.equal(['00000000', '00111100', '00111100', '00111100', '00111100', '00000000']);
  });

  it('interpolates bilinearly between the mask cells (hand-computed values at thresholds)', function () {
    // mask columns 0 | 1; box = the 4x4 image. Column values 0, 0.25, 0.75, 0.75 (x = 0..3);
    // rows 0 and 3 lose a quarter at the mask border (factor 0.75): 0.5625 there, 0.75 inside
    const half = [
      [0, 1],
      [0, 1],
    ];
    expect(paste(half, [0, 0, 4, 4], 4, 4, 0.5)).to.deep.equal(['0011', '0011', '0011', '0011']);
    expect(paste(half, [0, 0, 4, 4], 4, 4, 0.6)).to.deep.equal(['0000', '0011', '0011', '0000']);
    // >= : a value equal to the threshold is foreground
    expect(paste(half, [0, 0, 4, 4], 4, 4, 0.75)).to.deep.equal(['0000', '0011', '0011', '0000']);
    expect(paste(half, [0, 0, 4, 4], 4, 4, 0.7500001)).to.deep.equal(['0000', '0000', '0000', '0000']);
    expect(paste(half, [0, 0, 4, 4], 4, 4, 0.2)).to.deep.equal(['0011', '0111', '0111', '0011']);
  });

  it('a box partly outside the image fills only its part inside', function () {
    // box (-2, -2)..(2, 2): pixel 0 samples cell 0.75 (1.0), pixel 1 1.25 (0.75), pixel 2 1.75 (0.25)
    expect(paste(ones, [-2, -2, 2, 2], 4, 4, 0.5)).to.deep.equal(['1100', '1100', '0000', '0000']);
    expect(paste(ones, [-2, -2, 2, 2], 4, 4, 0.2)).to.deep.equal(['1110', '1100', '1000', '0000']);
    // past the right and bottom borders: the window stops at the image
    expect(paste(ones, [2, 2, 6, 6], 4, 4, 0.5)).to.deep.equal(['0000', '0000', '0011', '0011']);
  });

  it('pixels outside the window floor(x1) - 1 .. ceil(x2) + 1 stay 0 even where the sample is not 0', function () {
    // box x 2..12 over a 2-cell mask: pixel 0 samples cell -0.8 (0.2), pixel 1 cell -0.6 (0.4);
    // the window starts at pixel 1, so pixel 0 stays 0 (the whole-image GPU paste would set it)
    const rows = paste(ones, [2, 0, 12, 4], 4, 16, 0.1);
    expect(rows[1].slice(0, 3)).to.equal('011');
    // pixel 12 samples cell 1.6 (0.4); pixel 13 (1.8: 0.2) is past the window's end
    expect(rows[1].slice(12)).to.equal('1000');
  });

  it('a box of zero width gives the centre column value (mmdetection sets inf grid values to 0)', function () {
    // x0 = x1 = 2: the window is pixels 1..2, whose coordinates divide by 0 (inf → 0: the mask centre)
    const rows = paste(ones, [2, 0, 2, 4], 4, 6, 0.5);
    expect(rows[1]).to.equal('011000');
  });

  it('pasteMasks stacks one bitmap per box', function () {
    const probs = Float32Array.from([...ones.flat(), 0, 0, 0, 0]);
    const m = pasteMasks(probs, 2, 2, 2, [0, 0, 2, 2, 0, 0, 2, 2], 3, 3, 0.5);
    expect([m.length, m.height, m.width]).to.deep.equal([2, 3, 3]);
    expect(Array.from(m.mask(0))).to.deep.equal([1, 1, 0, 1, 1, 0, 0, 0, 0]);
    expect(Array.from(m.mask(1))).to.deep.equal(new Array(9).fill(0));
  });
});
