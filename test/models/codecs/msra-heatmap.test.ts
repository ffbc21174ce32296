import { expect } from 'chai';
import { MSRAHeatmap, msraHeatmapSchema, heatmapMaxima } from '../../../src/models/codecs/msra-heatmap';

const codec = (o: Record<string, unknown> = {}) => new MSRAHeatmap(msraHeatmapSchema.parse({ input_size: [192, 256], heatmap_size: [48, 64], sigma: 2, ...o }));

describe('MSRAHeatmap codec (mmpose)', () => {
  it('encodes an unnormalised 3-sigma Gaussian around the rounded heatmap position', () => {
    // (50.2, 81.0) in the input is (12.55, 20.25) on the heatmap, rounded to (13, 20)
    const { heatmaps, weights } = codec().encode(Float32Array.of(50.2, 81), Float32Array.of(1));
    const at = (x: number, y: number) => (heatmaps.data as Float32Array)[y * 48 + x];
    expect(at(13, 20)).to.equal(1);
    expect(at(14, 20)).to.be.closeTo(Math.exp(-1 / 8), 1e-7);
    expect(at(13, 26)).to.be.closeTo(Math.exp(-36 / 8), 1e-7);
    expect(at(13, 27)).to.equal(0); // outside the 6-sigma patch
    expect([...weights]).to.deep.equal([1]);
  });

  it('gives weight 0 to unlabelled keypoints and to those whose Gaussian misses the map', () => {
    const { heatmaps, weights } = codec().encode(Float32Array.of(10, 10, -100, 10, 10, 10), Float32Array.of(0, 1, 1));
    expect([...weights]).to.deep.equal([0, 0, 1]);
    const d = heatmaps.data as Float32Array;
    expect(d.subarray(0, 2 * 48 * 64).every((v) => v === 0)).to.equal(true);
  });

  it('decodes the arg-max moved a quarter pixel towards the higher neighbour, scaled to the input', () => {
    const maps = new Float32Array(2 * 64 * 48);
    // keypoint 0: peak at (10, 5), right neighbour higher than left, upper neighbour higher than lower
    maps[5 * 48 + 10] = 1;
    maps[5 * 48 + 11] = 0.5;
    maps[5 * 48 + 9] = 0.2;
    maps[4 * 48 + 10] = 0.6;
    maps[6 * 48 + 10] = 0.1;
    // keypoint 1: all zero → (-1, -1)
    const { keypoints, scores } = codec().decode(maps, 2);
    expect([...keypoints]).to.deep.equal([(10 + 0.25) * 4, (5 - 0.25) * 4, -4, -4]);
    expect([...scores]).to.deep.equal([1, 0]);
  });

  it('decode(encode(k)) recovers the keypoint to within a quarter heatmap pixel; DARK to a fraction of that', () => {
    for (const unbiased of [false, true]) {
      const c = codec({ unbiased });
      const kp = Float32Array.of(101.3, 77.9);
      const { heatmaps } = c.encode(kp, Float32Array.of(1));
      const { keypoints } = c.decode(heatmaps.data as Float32Array, 1);
      const tol = unbiased ? 0.3 : 4 * 0.75;
      expect(Math.abs(keypoints[0] - kp[0])).to.be.lessThan(tol);
      expect(Math.abs(keypoints[1] - kp[1])).to.be.lessThan(tol);
    }
  });

  it('takes the first maximum on ties, as numpy argmax', () => {
    const maps = new Float32Array(4 * 4);
    maps[6] = 1;
    maps[9] = 1;
    expect([...heatmapMaxima(maps, 1, 4, 4).keypoints]).to.deep.equal([2, 1]);
  });

  it('rejects an even blur kernel', () => {
    expect(() => codec({ blur_kernel_size: 10 })).to.throw(/odd/);
  });
});
