import { expect } from 'chai';
import type { PoseResults } from '../../../src/data/transforms/pose-results';
import { pt } from './helpers/pose-sample';

const encoder = { type: 'MSRAHeatmap', input_size: [48, 64], heatmap_size: [12, 16], sigma: 2 };

describe('GenerateTarget (mmpose) with MSRAHeatmap', () => {
  // crop keypoints: on the grid, unlabelled, far outside, half a pixel past the corner
  const results = (): PoseResults => ({
    transformed_keypoints: [[[20, 28], [8, 8], [-100, -100], [46, 62]]],
    keypoints: [[[0, 0], [0, 0], [0, 0], [0, 0]]],
    keypoints_visible: [[1, 0, 1, 1]],
    dataset_keypoint_weights: [1, 1.2, 1.5, 2],
  });

  it('heatmaps [K, 16, 12]: peak 1 at keypoint / 4, Gaussian exp(-d²/8) around it; weights 0 for unlabelled and missed', () => {
    const r = pt({ type: 'GenerateTarget', encoder }).transform(results()) as PoseResults;
    const hm = r.heatmaps!;
    expect(hm.shape).to.deep.equal([4, 16, 12]);
    const at = (k: number, y: number, x: number) => (hm.data as Float32Array)[(k * 16 + y) * 12 + x];
    // (20, 28) / 4 = (5, 7)
    expect(at(0, 7, 5)).to.equal(1);
    expect(at(0, 7, 6)).to.be.closeTo(Math.exp(-1 / 8), 1e-6);
    expect(at(0, 9, 4)).to.be.closeTo(Math.exp(-5 / 8), 1e-6);
    expect(at(0, 7, 12 - 1)).to.be.closeTo(Math.exp(-36 / 8), 1e-6); // 6 = 3 sigma: still drawn
    expect(at(0, 0, 0)).to.equal(0); // beyond 3 sigma in y
    expect(Math.max(...(hm.data as Float32Array).subarray(16 * 12, 3 * 16 * 12))).to.equal(0);
    // (46, 62) / 4 = (11.5, 15.5) rounds to (12, 16), off the map: its corner pixel is at distance (1, 1)
    expect(at(3, 15, 11)).to.be.closeTo(Math.exp(-2 / 8), 1e-6);
    expect(r.keypoint_weights).to.deep.equal([[1, 0, 0, 1]]);
  });

  it('use_dataset_keypoint_weights multiplies the weights by the joint weights', () => {
    const r = pt({ type: 'GenerateTarget', encoder, use_dataset_keypoint_weights: true }).transform(results()) as PoseResults;
    expect(r.keypoint_weights).to.deep.equal([[1, 0, 0, 2]]);
  });

  it('uses the original keypoints without TopdownAffine; errors name the option or the missing key', () => {
    const r = pt({ type: 'GenerateTarget', encoder }).transform({ keypoints: [[[20, 28]]], keypoints_visible: [[1]] }) as PoseResults;
    expect((r.heatmaps!.data as Float32Array)[7 * 12 + 5]).to.equal(1);
    expect(() => pt({ type: 'GenerateTarget', encoder: { ...encoder, sigma: -1 } })).to.throw(/pipeline\.0\.encoder\.sigma/);
    expect(() => pt({ type: 'GenerateTarget', encoder: { type: 'Nope' } })).to.throw(/pipeline\.0\.encoder\.type: unknown keypoint codec type 'Nope'/);
    expect(() => pt({ type: 'GenerateTarget', encoder, multilevel: true })).to.throw(/pipeline\.0\.multilevel/);
    expect(() => pt({ type: 'GenerateTarget', encoder }).transform({ keypoints_visible: [[1]] })).to.throw(/needs 'transformed_keypoints' or 'keypoints'/);
  });
});
