import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mmsegRandomPalette } from '../../../src/data/datasets/numpy-palette';
import { REPO_ROOT } from '../../fixture-root';

describe("mmseg's random palette (np.random.seed(42); randint(0, 255, (n, 3)))", () => {
  it("is numpy's (reference: numpy 1.24)", () => {
    const ref = JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/data/seg_cls_refs.json'), 'utf8')).mmseg_palette_5;
    expect(mmsegRandomPalette(5)).to.deep.equal(ref);
    expect(mmsegRandomPalette(2)).to.deep.equal(ref.slice(0, 2));
  });
});
