import { expect } from 'chai';
import * as F from '../../src/core/ops';
import { describeOnBackends } from './helpers/backends';
import { expectTensor } from './helpers/expect-tensor';
import { arr, broadcastRef, conv2dRef, matmulRef, randArr, reduceRef, type Arr, type ConvSpec } from './helpers/reference';

const conv = (o: Partial<ConvSpec>): ConvSpec => ({ stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1, ...o });

describeOnBackends('op layer: dense', (h) => {
  const T = (a: Arr) => h.f32(a.shape, a.data);
  const seq = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from);

  describe('conv2d', () => {
    it('matches a hand-computed 2x2 difference kernel with bias', () => {
      const x = h.f32([1, 1, 3, 3], seq(9));
      const w = h.f32([1, 1, 2, 2], [1, 0, 0, -1]);
      const y = h.run(() => F.conv2d(x, w, h.f32([1], [0.5])));
      // x[i][j] - x[i+1][j+1] = -4 everywhere, plus 0.5
      expectTensor(h.read(y), [1, 1, 2, 2], [-3.5, -3.5, -3.5, -3.5]);
    });

    it('zero-pads: 3x3 box filter with padding 1', () => {
      const y = h.run(() => F.conv2d(h.f32([1, 1, 3, 3], seq(9)), h.f32([1, 1, 3, 3], Array(9).fill(1)), null, { padding: 1 }));
      expectTensor(h.read(y), [1, 1, 3, 3], [12, 21, 16, 27, 45, 33, 24, 39, 28]);
    });

    it('keeps output channels apart (hand-computed 1x1 conv over 2 channels)', () => {
      // x channel 0 = [1,2], channel 1 = [10,20]; out0 = c0 + c1, out1 = 2*c0 - c1, out2 = c1
      const x = h.f32([1, 2, 1, 2], [1, 2, 10, 20]);
      const w = h.f32([3, 2, 1, 1], [1, 1, 2, -1, 0, 1]);
      const y = h.run(() => F.conv2d(x, w, h.f32([3], [0, 1, 2])));
      expectTensor(h.read(y), [1, 3, 1, 2], [11, 22, -7, -15, 12, 22]);
    });

    const cases: { name: string; x: number[]; w: number[]; o: Partial<ConvSpec> }[] = [
      { name: '3x3, padding 1, batch 2', x: [2, 3, 5, 6], w: [4, 3, 3, 3], o: { padding: [1, 1] } },
      { name: 'stride 2, no padding', x: [1, 2, 7, 6], w: [3, 2, 3, 3], o: { stride: [2, 2] } },
      { name: 'non-square kernel, stride and padding', x: [1, 2, 7, 5], w: [2, 2, 3, 2], o: { stride: [2, 1], padding: [1, 0] } },
      { name: 'dilation 2, padding 2', x: [1, 2, 7, 7], w: [3, 2, 3, 3], o: { dilation: [2, 2], padding: [2, 2] } },
      { name: 'stride 2 with dilation 2', x: [1, 2, 9, 8], w: [2, 2, 3, 3], o: { stride: [2, 2], dilation: [2, 2], padding: [1, 1] } },
      { name: 'groups 2 (general)', x: [1, 4, 5, 5], w: [6, 2, 3, 3], o: { groups: 2, padding: [1, 1] } },
      { name: 'groups 3, stride 2', x: [2, 6, 6, 5], w: [3, 2, 3, 3], o: { groups: 3, stride: [2, 2], padding: [1, 1] } },
      { name: 'depthwise, stride 2, padding 1', x: [1, 3, 6, 7], w: [3, 1, 3, 3], o: { groups: 3, stride: [2, 2], padding: [1, 1] } },
      { name: 'depthwise with channel multiplier 2', x: [1, 2, 5, 5], w: [4, 1, 3, 3], o: { groups: 2, padding: [1, 1] } },
      { name: 'depthwise, dilation 2', x: [1, 3, 7, 7], w: [3, 1, 3, 3], o: { groups: 3, dilation: [2, 2], padding: [2, 2] } },
      { name: 'depthwise, stride 2 with dilation 2', x: [1, 2, 8, 8], w: [2, 1, 3, 3], o: { groups: 2, stride: [2, 2], dilation: [2, 2] } },
    ];
    cases.forEach(({ name, x, w, o }, i) => {
      it(`matches the reference loop: ${name}`, () => {
        const xa = randArr(x, 10 + i);
        const wa = randArr(w, 100 + i);
        const bias = randArr([w[0]], 200 + i).data;
        const y = h.run(() => F.conv2d(T(xa), T(wa), h.f32([w[0]], bias), conv(o)));
        const ref = conv2dRef(xa, wa, bias, conv(o));
        expectTensor(h.read(y), ref.shape, ref.data, { atol: 1e-5, rtol: 1e-4 });
      });
    });

    it('stores its rank-4 output channels-last inside the engine', () => {
      const y = h.run(() => F.conv2d(h.f32([1, 2, 3, 4], seq(24)), h.f32([5, 2, 1, 1], seq(10)), null));
      expect(y.shape).to.deep.equal([1, 5, 3, 4]);
      expect(h.physicalShape(y)).to.deep.equal([1, 3, 4, 5]);
    });

    it('rejects a weight whose input channels do not match', () => {
      expect(() => h.run(() => F.conv2d(h.f32([1, 3, 2, 2], seq(12)), h.f32([1, 2, 1, 1], [1, 1]), null))).to.throw(/3 channels/);
    });
  });

  describe('linear and matmul', () => {
    it('linear: hand-computed y = x W^T + b', () => {
      const x = h.f32([2, 3], [1, 2, 3, 4, 5, 6]);
      const w = h.f32([4, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1]);
      const y = h.run(() => F.linear(x, w, h.f32([4], [0.5, 0, 0, -1])));
      expectTensor(h.read(y), [2, 4], [1.5, 2, 3, 5, 4.5, 5, 6, 14]);
    });

    for (const shape of [[2, 3, 5], [2, 3, 2, 5]]) {
      it(`linear over the last axis of a rank-${shape.length} input`, () => {
        const xa = randArr(shape, 1);
        const wa = randArr([4, 5], 2);
        const y = h.run(() => F.linear(T(xa), T(wa), null));
        const wt = arr([5, 4], Array.from({ length: 20 }, (_, i) => wa.data[(i % 4) * 5 + Math.floor(i / 4)]));
        const ref = matmulRef(xa, wt);
        expectTensor(h.read(y), ref.shape, ref.data);
      });
    }

    it('matmul: hand-computed 2x2', () => {
      const y = h.run(() => F.matmul(h.f32([2, 2], [1, 2, 3, 4]), h.f32([2, 2], [5, 6, 7, 8])));
      expectTensor(h.read(y), [2, 2], [19, 22, 43, 50]);
    });

    const mm: [number[], number[]][] = [
      [[3, 4], [4, 2]],
      [[2, 3, 4], [2, 4, 5]],
      [[2, 3, 4], [4, 5]],
      [[2, 3, 4, 5], [2, 3, 5, 2]],
    ];
    for (const [sa, sb] of mm) {
      it(`matmul [${sa}] x [${sb}] matches the reference`, () => {
        const [a, b] = [randArr(sa, 3), randArr(sb, 4)];
        const ref = matmulRef(a, b);
        expectTensor(h.read(h.run(() => F.matmul(T(a), T(b)))), ref.shape, ref.data);
      });
    }
  });

  describe('normalisation', () => {
    it('batchNorm (eval): hand-computed with eps', () => {
      // channel 0: (1 - 0) / sqrt(3.99 + 0.01) * 3 + 1 = 2.5; channel 1: (2 - 1) / sqrt(0.24 + 0.01) * -1 + 0 = -2
      const y = h.run(() =>
        F.batchNorm(h.f32([1, 2, 1, 1], [1, 2]), h.f32([2], [0, 1]), h.f32([2], [3.99, 0.24]), h.f32([2], [3, -1]), h.f32([2], [1, 0]), 0.01),
      );
      expectTensor(h.read(y), [1, 2, 1, 1], [2.5, -2]);
    });

    for (const shape of [[2, 3, 2, 4], [5, 3]]) {
      for (const affine of [true, false]) {
        it(`batchNorm on [${shape}] ${affine ? 'with' : 'without'} affine matches the formula`, () => {
          const x = randArr(shape, 5, -3, 3);
          const c = 3;
          const [m, v, wt, b] = [randArr([c], 6), randArr([c], 7, 0.1, 2), randArr([c], 8), randArr([c], 9)];
          const eps = 1e-3;
          const chan = shape.length === 4 ? [c, 1, 1] : [c];
          const re = (a: Arr) => arr(chan, a.data);
          const ref = broadcastRef([x, re(m), re(v), re(wt), re(b)], (xv, mv, vv, wv, bv) =>
            affine ? ((xv - mv) / Math.sqrt(vv + eps)) * wv + bv : (xv - mv) / Math.sqrt(vv + eps),
          );
          const y = h.run(() => F.batchNorm(T(x), T(m), T(v), affine ? T(wt) : null, affine ? T(b) : null, eps));
          expectTensor(h.read(y), ref.shape, ref.data, { atol: 1e-5, rtol: 1e-4 });
        });
      }
    }

    for (const axes of [[0, 2, 3], [0], [1], [2, 3], [0, 1, 2, 3]]) {
      it(`moments over axes [${axes}] of a rank-4 input (mean, biased variance)`, () => {
        const x = randArr([2, 3, 2, 4], 11, -2, 2);
        const mean = reduceRef(x, axes, false, 'mean');
        const meanKept = reduceRef(x, axes, true, 'mean');
        const sq = broadcastRef([x, meanKept], (a, b) => (a - b) * (a - b));
        const variance = reduceRef(sq, axes, false, 'mean');
        const r = h.run(() => F.moments(T(x), axes));
        expectTensor(h.read(r.mean), mean.shape, mean.data);
        expectTensor(h.read(r.variance), variance.shape, variance.data, { atol: 1e-5, rtol: 1e-4 });
      });
    }

    it('groupNorm: hand-computed single group', () => {
      // mean 4, biased variance (9 + 1 + 1 + 9) / 4 = 5
      const eps = 1e-5;
      const s = Math.sqrt(5 + eps);
      const y = h.run(() => F.groupNorm(h.f32([1, 2, 1, 2], [1, 3, 5, 7]), 1, null, null, eps));
      expectTensor(h.read(y), [1, 2, 1, 2], [-3 / s, -1 / s, 1 / s, 3 / s]);
    });

    for (const groups of [1, 2, 4]) {
      it(`groupNorm with ${groups} group(s) and affine matches the reference`, () => {
        const [n, c, hh, w] = [2, 4, 2, 3];
        const x = randArr([n, c, hh, w], 12, -2, 2);
        const [wt, b] = [randArr([c], 13), randArr([c], 14)];
        const eps = 1e-5;
        const ref = arr(x.shape);
        const per = (c / groups) * hh * w;
        for (let bi = 0; bi < n; bi++)
          for (let g = 0; g < groups; g++) {
            const off = (bi * c + g * (c / groups)) * hh * w;
            const vals = Array.from(x.data.subarray(off, off + per));
            const mu = vals.reduce((p, q) => p + q, 0) / per;
            const v = vals.reduce((p, q) => p + (q - mu) ** 2, 0) / per;
            vals.forEach((xv, j) => {
              const ch = g * (c / groups) + Math.floor(j / (hh * w));
              ref.data[off + j] = ((xv - mu) / Math.sqrt(v + eps)) * wt.data[ch] + b.data[ch];
            });
          }
        const y = h.run(() => F.groupNorm(T(x), groups, T(wt), T(b), eps));
        expectTensor(h.read(y), ref.shape, ref.data, { atol: 1e-5, rtol: 1e-4 });
      });
    }

    it('groupNorm rejects channels not divisible by groups', () => {
      expect(() => h.run(() => F.groupNorm(h.f32([1, 3, 1, 1], [1, 2, 3]), 2, null, null, 1e-5))).to.throw(/divisible/);
    });
  });
});
