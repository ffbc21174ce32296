import { expect } from 'chai';
import { hostTensor } from '../../../../src/core/host-tensor';
import { Random } from '../../../../src/core/random';
import { DeltaXYWHBBoxCoder } from '../../../../src/models/task-modules/coders/delta-xywh-bbox-coder';
import { AnchorGenerator } from '../../../../src/models/task-modules/prior-generators/anchor-generator';
import { describeOnBackends } from '../../../core/helpers/backends';
import { expectParity } from '../../../engines/onnx/helpers/parity';
import { boxes, buildTaskUtil, expectAllClose } from '../helpers';

const MAX_RATIO = Math.abs(Math.log(16 / 1000)); // 4.135166556742356

function randomBoxes(n: number, r: Random): number[][] {
  return Array.from({ length: n }, () => {
    const [x, y] = [r.uniform(-20, 80), r.uniform(-20, 60)];
    return [x, y, x + r.uniform(1, 50), y + r.uniform(1, 50)];
  });
}

/** float64 decode from the definition (means/stds, wh clamp, optional centre clamp and clip). */
function decode64(p: number[], d: number[], o: { means?: number[]; stds?: number[]; clip?: [number, number]; ctr?: number } = {}): number[] {
  const [means, stds] = [o.means ?? [0, 0, 0, 0], o.stds ?? [1, 1, 1, 1]];
  const dd = d.map((v, i) => v * stds[i] + means[i]);
  const [pw, ph] = [p[2] - p[0], p[3] - p[1]];
  const [px, py] = [(p[0] + p[2]) / 2, (p[1] + p[3]) / 2];
  let [sx, sy] = [pw * dd[0], ph * dd[1]];
  let [dw, dh] = [dd[2], dd[3]];
  if (o.ctr !== undefined) {
    [sx, sy] = [sx, sy].map((v) => Math.min(Math.max(v, -o.ctr!), o.ctr!));
    [dw, dh] = [Math.min(dw, MAX_RATIO), Math.min(dh, MAX_RATIO)];
  } else {
    [dw, dh] = [dw, dh].map((v) => Math.min(Math.max(v, -MAX_RATIO), MAX_RATIO));
  }
  const [gx, gy, gw, gh] = [px + sx, py + sy, pw * Math.exp(dw), ph * Math.exp(dh)];
  const b = [gx - gw / 2, gy - gh / 2, gx + gw / 2, gy + gh / 2];
  if (!o.clip) return b;
  return b.map((v, i) => Math.min(Math.max(v, 0), i % 2 === 0 ? o.clip![1] : o.clip![0]));
}

describeOnBackends('DeltaXYWHBBoxCoder', (h) => {
  const read = (t: unknown) => Array.from(h.read(t as never).data as Float32Array);
  const t2 = (rows: number[][]) => h.f32([rows.length, rows[0]?.length ?? 4], rows.flat());

  it('encodes a hand-worked pair, with means and stds', () => {
    const coder = new DeltaXYWHBBoxCoder();
    h.run(() => {
      // prior centre (5, 5) size 10x10; GT centre (7, 5.5) size 10x5
      const d = read(coder.encode(t2([[0, 0, 10, 10]]), t2([[2, 3, 12, 8]])));
      expectAllClose(d, [0.2, 0.05, 0, Math.log(0.5)], 1e-7, 1e-6);
      const normed = new DeltaXYWHBBoxCoder({ target_means: [0.1, 0, 0, 0], target_stds: [0.1, 0.1, 0.2, 0.2] });
      expectAllClose(read(normed.encode(t2([[0, 0, 10, 10]]), t2([[2, 3, 12, 8]]))), [1, 0.5, 0, Math.log(0.5) / 0.2], 1e-6, 1e-6);
    });
  });

  it("decodes mmdetection's documented example (clipped to 32x32)", () => {
    const coder = new DeltaXYWHBBoxCoder();
    const rois = [[0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 1, 1], [5, 5, 5, 5]];
    const deltas = [[0, 0, 0, 0], [1, 1, 1, 1], [0, 0, 2, -1], [0.7, -1.9, -0.5, 0.3]];
    h.run(() => {
      const out = read(coder.decode(t2(rois), t2(deltas), [32, 32, 3]));
      expectAllClose(out, [0, 0, 1, 1, 0.1409, 0.1409, 2.8591, 2.8591, 0, 0.3161, 4.1945, 0.6839, 5, 5, 5, 5], 1e-4, 0);
    });
  });

  it('encode → decode round trip returns the GT boxes', () => {
    const r = new Random(3);
    const [p, g] = [randomBoxes(50, r), randomBoxes(50, r)];
    const coder = new DeltaXYWHBBoxCoder({ target_stds: [0.1, 0.1, 0.2, 0.2], target_means: [0.01, -0.02, 0.03, 0] });
    h.run(() => {
      const back = read(coder.decode(t2(p), coder.encode(t2(p), t2(g))));
      expectAllClose(back, g.flat(), 1e-3, 1e-5);
    });
  });

  it('clamps dw, dh at ±|log(16/1000)|; add_ctr_clamp clamps the shift and dw, dh only from above', () => {
    const p = [[0, 0, 10, 20]];
    const d = [[10, -10, 10, -10]];
    h.run(() => {
      const plain = read(new DeltaXYWHBBoxCoder().decode(t2(p), t2(d)));
      expectAllClose(plain, decode64(p[0], d[0]), 1e-3, 1e-6, 'wh clamp');
      const w = plain[2] - plain[0];
      expectAllClose([w, plain[3] - plain[1]], [10 * 62.5, 20 / 62.5], 1e-3, 1e-5);
      const ctr = read(new DeltaXYWHBBoxCoder({ add_ctr_clamp: true, ctr_clamp: 32 }).decode(t2(p), t2(d)));
      expectAllClose(ctr, decode64(p[0], d[0], { ctr: 32 }), 1e-3, 1e-6, 'ctr clamp');
      expect((ctr[0] + ctr[2]) / 2).to.be.closeTo(5 + 32, 1e-4);
      expect(ctr[3] - ctr[1]).to.be.closeTo(20 * Math.exp(-10), 1e-6);
    });
  });

  it('class-specific deltas [N, 4k], batches with one image shape each, clip_border false, no boxes', () => {
    const r = new Random(4);
    const p = randomBoxes(5, r);
    const d = Array.from({ length: 5 }, () => Array.from({ length: 12 }, () => r.uniform(-1, 1)));
    const coder = new DeltaXYWHBBoxCoder({ target_stds: [0.1, 0.1, 0.2, 0.2] });
    const stds = [0.1, 0.1, 0.2, 0.2];
    h.run(() => {
      const out = coder.decode(t2(p), t2(d), [40, 50]);
      expect(out.shape).to.deep.equal([5, 12]);
      const ref = p.flatMap((b, i) => [0, 1, 2].flatMap((k) => decode64(b, d[i].slice(4 * k, 4 * k + 4), { stds, clip: [40, 50] })));
      expectAllClose(read(out), ref, 1e-4, 1e-5, 'per class');
      const batch = coder.decode(h.f32([2, 5, 4], [...p.flat(), ...p.flat()]), h.f32([2, 5, 4], d.flatMap((x) => x.slice(0, 4)).concat(d.flatMap((x) => x.slice(0, 4)))), [[40, 50], [10, 20]]);
      const refB = [40, 10].flatMap((hh, b) => p.flatMap((box, i) => decode64(box, d[i].slice(0, 4), { stds, clip: [hh, b === 0 ? 50 : 20] })));
      expectAllClose(read(batch), refB, 1e-4, 1e-5, 'batch');
      const unclipped = new DeltaXYWHBBoxCoder({ clip_border: false, target_stds: [0.1, 0.1, 0.2, 0.2] });
      expectAllClose(read(unclipped.decode(t2(p), t2(d.map((x) => x.slice(0, 4))), [1, 1])), p.flatMap((b, i) => decode64(b, d[i].slice(0, 4), { stds })), 1e-4, 1e-5);
      expect(coder.decode(h.f32([0, 4], []), h.f32([0, 8], [])).shape).to.deep.equal([0, 8]);
    });
  });
});

describe('DeltaXYWHBBoxCoder export', () => {
  it('anchors + decode + clip and encode trace to ONNX and match tfjs on onnxruntime', async () => {
    const anchors = new AnchorGenerator({ strides: [8], ratios: [0.5, 1, 2], scales: [4] });
    const coder = buildTaskUtil<DeltaXYWHBBoxCoder>({ type: 'DeltaXYWHBBoxCoder', target_means: [0, 0, 0, 0], target_stds: [0.1, 0.1, 0.2, 0.2] });
    const r = new Random(5);
    const deltas = hostTensor('float32', [4 * 5 * 3, 4], Float32Array.from({ length: 240 }, () => r.uniform(-2, 2)));
    const traced = await expectParity((d) => coder.decode(anchors.gridPriors([[4, 5]])[0], d, [30, 38]), [{ name: 'deltas', value: deltas }], { atol: 1e-4 });
    expect(traced.graph.nodes.map((n) => n.op)).to.include.members(['Exp', 'Min', 'Max']);
    const g = hostTensor('float32', [6, 4], boxes(randomBoxes(6, r)));
    const p = hostTensor('float32', [6, 4], boxes(randomBoxes(6, r)));
    await expectParity((a, b) => coder.encode(a, b), [{ name: 'p', value: p }, { name: 'g', value: g }], { atol: 1e-5 });
    await expectParity((a, b) => coder.decode(a, b), [{ name: 'p', value: p }, { name: 'd', value: g }], { atol: 1e-3, rtol: 1e-5 });
    // a batch of two images, one image shape each, class-specific deltas
    const rois = hostTensor('float32', [2, 3, 4], boxes(randomBoxes(6, r)));
    const d2 = hostTensor('float32', [2, 3, 8], Float32Array.from({ length: 48 }, () => r.uniform(-1, 1)));
    await expectParity((a, b) => coder.decode(a, b, [[30, 40], [20, 25]]), [{ name: 'rois', value: rois }, { name: 'd', value: d2 }], { atol: 1e-4 });
  });
});
