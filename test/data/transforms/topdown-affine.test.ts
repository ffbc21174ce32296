import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyAffine, getUdpWarpMatrix, getWarpMatrix, warpAffineImage } from '../../../src/data/transforms/warp-affine';
import { fixAspectRatio } from '../../../src/data/transforms/topdown-affine';
import type { PoseResults } from '../../../src/data/transforms/pose-results';
import type { PipelineImage } from '../../../src/data/transforms/results';
import { poseSample, pt } from './helpers/pose-sample';

interface WarpCase {
  name: string;
  center: number[];
  scale: number[];
  rot: number;
  input_size: [number, number];
  use_udp: boolean;
  fixed_scale: number[];
  matrix: number[];
  keypoints: number[][];
  transformed: number[][];
  crop: number[];
}

// made with mmpose's matrices and OpenCV 4.6 (test/fixtures/data/make_pose_warp_refs.py)
const REFS = JSON.parse(readFileSync(join(__dirname, '../../../../test/fixtures/data/pose_warp_refs.json'), 'utf8')) as {
  image: { height: number; width: number; data: number[] };
  cases: WarpCase[];
};

const near = (got: readonly number[], want: readonly number[], tol: number) => got.forEach((v, i) => expect(v).to.be.closeTo(want[i], tol));

describe('TopdownAffine (mmpose)', () => {
  it('warp matrix of a known box: centre (50, 40), scale (40, 80) onto 20x40 halves and centres it', () => {
    near(getWarpMatrix([50, 40], [40, 80], 0, [20, 40]), [0.5, 0, -15, 0, 0.5, 0], 1e-12);
    // 90 degrees: the box's up (0, -1) goes to the crop's left (-1, 0)
    near(getWarpMatrix([50, 40], [40, 80], 90, [20, 40]), [0, 0.5, -10, -0.5, 0, 45], 1e-6);
    // the inverse maps back
    near(getWarpMatrix([50, 40], [40, 80], 0, [20, 40], true), [2, 0, 30, 0, 2, 0], 1e-12);
    // UDP: (size - 1) / scale per axis, box corner to pixel 0
    near(getUdpWarpMatrix([50, 40], [40, 80], 0, [21, 41]), [0.5, 0, -15, 0, 0.5, 0], 1e-6);
  });

  it('fixes the box to the input aspect ratio (w / h) by growing the short side', () => {
    expect(fixAspectRatio([40, 80], 0.75)).to.deep.equal([60, 80]);
    expect(fixAspectRatio([90, 80], 0.75)).to.deep.equal([90, 120]);
  });

  for (const c of REFS.cases) {
    it(`matches mmpose + OpenCV: ${c.name}`, () => {
      const scale = fixAspectRatio(c.scale, c.input_size[0] / c.input_size[1]);
      expect(scale).to.deep.equal(c.fixed_scale);
      const m = c.use_udp ? getUdpWarpMatrix(c.center, scale, c.rot, c.input_size) : getWarpMatrix(c.center, scale, c.rot, c.input_size);
      near(m, c.matrix, 1e-5 * Math.max(...c.matrix.map(Math.abs)));
      c.keypoints.forEach(([x, y], k) => near(applyAffine(m, x, y), c.transformed[k], 1e-4));
      const img: PipelineImage = { data: Uint8Array.from(REFS.image.data), height: REFS.image.height, width: REFS.image.width, channels: 3, order: 'bgr' };
      const crop = warpAffineImage(img, m, c.input_size[0], c.input_size[1]);
      expect([crop.height, crop.width]).to.deep.equal([c.input_size[1], c.input_size[0]]);
      // OpenCV's fixed point reproduced: the same bytes
      expect([...crop.data]).to.deep.equal(c.crop);
    });
  }

  it('the transform: crop of the input size, keypoints through the same matrix, input_center / input_scale recorded', () => {
    const s: PoseResults = { ...poseSample(), bbox_center: [[30, 60]], bbox_scale: [[50, 100]], bbox_rotation: [0] };
    const r = pt({ type: 'TopdownAffine', input_size: [24, 32] }).transform(s) as PoseResults;
    expect([r.img!.width, r.img!.height]).to.deep.equal([24, 32]);
    expect(r.input_size).to.deep.equal([24, 32]);
    expect(r.input_center).to.deep.equal([30, 60]);
    expect(r.input_scale).to.deep.equal([75, 100]); // 50 x 100 widened to 3:4
    expect(r.bbox_scale).to.deep.equal([[75, 100]]);
    // scale 32 / 100 = 0.32 about the centre: keypoint (3, 7) → (12 + 0.32 * (3 - 30), 16 + 0.32 * (7 - 60))
    near(r.transformed_keypoints![0][3], [12 + 0.32 * -27, 16 + 0.32 * -53], 1e-4);
    expect(r.keypoints![0][3]).to.deep.equal([3, 7]);
    expect(() => pt({ type: 'TopdownAffine', input_size: [24, 32] }).transform(poseSample())).to.throw(/TopdownAffine needs 'bbox_center'.*GetBBoxCenterScale/);
    expect(() => pt({ type: 'TopdownAffine' })).to.throw(/pipeline\.0\.input_size/);
  });
});
