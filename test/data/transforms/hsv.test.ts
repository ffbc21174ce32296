import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bgrToHsv, hsvToBgr } from '../../../src/data/transforms/hsv';
import { REPO_ROOT } from '../../fixture-root';

const REFS = JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/data/seg_cls_refs.json'), 'utf8'));

describe("OpenCV's 8-bit HSV conversions (reference: cv2 4.6 cvtColor)", () => {
  it('BGR2HSV matches OpenCV exactly on 608 pixels (random, greys, pure colours)', () => {
    expect([...bgrToHsv(Uint8Array.from(REFS.bgr))]).to.deep.equal(REFS.bgr2hsv);
  });

  it('HSV2BGR matches OpenCV on 600 random pixels: every value within 1, under 2% off by one', () => {
    const got = hsvToBgr(Uint8Array.from(REFS.hsv));
    const diffs = REFS.hsv2bgr.map((v: number, i: number) => Math.abs(v - got[i]));
    expect(Math.max(...diffs)).to.be.at.most(1);
    expect(diffs.filter((d: number) => d > 0).length).to.be.below(REFS.hsv2bgr.length * 0.02);
  });
});
