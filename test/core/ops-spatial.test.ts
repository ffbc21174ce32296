import { expect } from 'chai';
import * as F from '../../src/core/ops';
import { describeOnBackends } from './helpers/backends';
import { expectTensor } from './helpers/expect-tensor';
import { interpolateRef, poolRef, randArr, reduceRef, type Arr, type PoolSpec } from './helpers/reference';

const pool = (o: Partial<PoolSpec> & { kernel: [number, number] }): PoolSpec => ({
  stride: o.kernel,
  padding: [0, 0],
  ceilMode: false,
  countIncludePad: true,
  ...o,
});

describeOnBackends('op layer: spatial', (h) => {
  const T = (a: Arr) => h.f32(a.shape, a.data);
  const row = (v: number[]) => h.f32([1, 1, 1, v.length], v);

  describe('interpolate', () => {
    it('nearest, hand-computed: 2→4 repeats, 3→2 and 5→3 take floor(dst*in/out)', () => {
      expectTensor(h.read(h.run(() => F.interpolate(row([1, 2]), { size: [1, 4] }))), [1, 1, 1, 4], [1, 1, 2, 2]);
      expectTensor(h.read(h.run(() => F.interpolate(row([1, 2, 3]), { size: [1, 2] }))), [1, 1, 1, 2], [1, 2]);
      expectTensor(h.read(h.run(() => F.interpolate(row([1, 2, 3, 4, 5]), { size: [1, 3] }))), [1, 1, 1, 3], [1, 2, 4]);
    });

    it('bilinear, hand-computed: align_corners false (half-pixel, clamped at 0) and true', () => {
      const up = (ac: boolean) => h.read(h.run(() => F.interpolate(row([1, 2]), { size: [1, 4], mode: 'bilinear', alignCorners: ac })));
      expectTensor(up(false), [1, 1, 1, 4], [1, 1.25, 1.75, 2]);
      expectTensor(up(true), [1, 1, 1, 4], [1, 4 / 3, 5 / 3, 2]);
      const down = h.run(() => F.interpolate(row([1, 2, 3, 4]), { size: [1, 3], mode: 'bilinear' }));
      // src = (dst + 0.5) * 4/3 - 0.5 = 1/6, 3/2, 17/6
      expectTensor(h.read(down), [1, 1, 1, 3], [7 / 6, 2.5, 23 / 6]);
    });

    const sizes: [[number, number], [number, number]][] = [
      [[2, 3], [4, 6]],
      [[3, 5], [5, 7]],
      [[5, 7], [3, 4]],
      [[4, 4], [7, 9]],
      [[7, 6], [4, 3]],
      [[3, 3], [8, 8]],
      [[3, 5], [7, 2]],
      [[4, 6], [1, 1]],
      [[1, 1], [3, 2]],
      [[6, 8], [2, 3]],
    ];
    for (const [from, to] of sizes) {
      for (const [mode, ac] of [['nearest', false], ['bilinear', false], ['bilinear', true]] as const) {
        it(`${mode}${mode === 'bilinear' ? ` align_corners=${ac}` : ''}: [${from}] → [${to}]`, () => {
          const x = randArr([2, 3, ...from], 131);
          const ref = interpolateRef(x, to, mode, ac);
          const y = h.run(() => F.interpolate(T(x), { size: to, mode, alignCorners: ac }));
          expectTensor(h.read(y), ref.shape, ref.data, { atol: 1e-5, rtol: 1e-5 });
        });
      }
    }

    it('scaleFactor gives floor(in * scale); the same size is returned unchanged', () => {
      const x = randArr([1, 2, 3, 5], 132);
      const ref = interpolateRef(x, [6, 10], 'nearest');
      expectTensor(h.read(h.run(() => F.interpolate(T(x), { scaleFactor: 2 }))), ref.shape, ref.data);
      const t = T(x);
      expect(h.run(() => F.interpolate(t, { size: [3, 5], mode: 'bilinear' }))).to.equal(t);
      expect(() => h.run(() => F.interpolate(t, {}))).to.throw(/size or scaleFactor/);
    });
  });

  describe('pooling', () => {
    it('hand-computed max and avg, 2x2 stride 2', () => {
      const x = h.f32([1, 1, 4, 4], Array.from({ length: 16 }, (_, i) => i + 1));
      expectTensor(h.read(h.run(() => F.maxPool2d(x, 2))), [1, 1, 2, 2], [6, 8, 14, 16]);
      expectTensor(h.read(h.run(() => F.avgPool2d(x, 2))), [1, 1, 2, 2], [3.5, 5.5, 11.5, 13.5]);
    });

    it('hand-computed count_include_pad: 3x3 stride 1 padding 1 on a 2x2 input', () => {
      const x = h.f32([1, 1, 2, 2], [1, 2, 3, 4]);
      // every window covers all four cells (sum 10) and nine cells counting the padding
      const inc = h.run(() => F.avgPool2d(x, 3, { stride: 1, padding: 1 }));
      expectTensor(h.read(inc), [1, 1, 2, 2], [10 / 9, 10 / 9, 10 / 9, 10 / 9]);
      const exc = h.run(() => F.avgPool2d(x, 3, { stride: 1, padding: 1, countIncludePad: false }));
      expectTensor(h.read(exc), [1, 1, 2, 2], [2.5, 2.5, 2.5, 2.5]);
    });

    it('hand-computed max pool padding never wins over negative inputs', () => {
      const x = h.f32([1, 1, 2, 2], [-1, -2, -3, -4]);
      expectTensor(h.read(h.run(() => F.maxPool2d(x, 3, { stride: 1, padding: 1 }))), [1, 1, 2, 2], [-1, -1, -1, -1]);
    });

    it('hand-computed ceil_mode: 2x2 stride 2 on a 1x5 row keeps a partial last window', () => {
      const x = h.f32([1, 1, 1, 5], [1, 2, 3, 4, 5]);
      const y = h.run(() => F.avgPool2d(x, [1, 2], { ceilMode: true }));
      // last window holds only the 5 (the overhang is not counted, even with count_include_pad)
      expectTensor(h.read(y), [1, 1, 1, 3], [1.5, 3.5, 5]);
      expectTensor(h.read(h.run(() => F.maxPool2d(x, [1, 2], { ceilMode: true }))), [1, 1, 1, 3], [2, 4, 5]);
      expectTensor(h.read(h.run(() => F.maxPool2d(x, [1, 2]))), [1, 1, 1, 2], [2, 4]);
    });

    const cases: [string, number[], PoolSpec][] = [
      ['k2 s2', [2, 3, 6, 7], pool({ kernel: [2, 2] })],
      ['k3 s2 p1 (ResNet stem)', [1, 2, 9, 8], pool({ kernel: [3, 3], stride: [2, 2], padding: [1, 1] })],
      ['k3 s2 p1 ceil', [1, 2, 6, 7], pool({ kernel: [3, 3], stride: [2, 2], padding: [1, 1], ceilMode: true })],
      ['k2 s2 ceil on odd sizes', [1, 2, 5, 7], pool({ kernel: [2, 2], ceilMode: true })],
      ['k3 s3 ceil', [1, 2, 7, 8], pool({ kernel: [3, 3], ceilMode: true })],
      ['k3 s1 p1', [1, 2, 4, 5], pool({ kernel: [3, 3], stride: [1, 1], padding: [1, 1] })],
      ['k1 s2 (FPN extra level)', [1, 2, 5, 6], pool({ kernel: [1, 1], stride: [2, 2] })],
      ['k[3,2] s[2,1] p[1,0]', [1, 2, 6, 5], pool({ kernel: [3, 2], stride: [2, 1], padding: [1, 0] })],
      ['k3 s2 p1 ceil, non-square', [1, 1, 5, 8], pool({ kernel: [3, 3], stride: [2, 2], padding: [1, 1], ceilMode: true })],
      ['k4 s4 (HRFPN average pooling)', [1, 2, 8, 9], pool({ kernel: [4, 4] })],
      ['k2 s2 p1 ceil (a last window starting in the padding is dropped)', [1, 2, 5, 6], pool({ kernel: [2, 2], padding: [1, 1], ceilMode: true })],
    ];
    for (const [name, shape, o] of cases) {
      for (const kind of ['max', 'avg'] as const) {
        for (const countIncludePad of kind === 'avg' ? [true, false] : [true]) {
          it(`${kind} pool ${name}${kind === 'avg' ? ` count_include_pad=${countIncludePad}` : ''}`, () => {
            const x = randArr(shape, 141, -3, 1);
            const spec = { ...o, countIncludePad };
            const ref = poolRef(x, kind, spec);
            const args = { stride: spec.stride, padding: spec.padding, ceilMode: spec.ceilMode, countIncludePad };
            const y = h.run(() => (kind === 'max' ? F.maxPool2d(T(x), spec.kernel, args) : F.avgPool2d(T(x), spec.kernel, args)));
            expectTensor(h.read(y), ref.shape, ref.data, { atol: 1e-6, rtol: 1e-5 });
          });
        }
      }
    }

    it('global average pool keeps H and W as 1', () => {
      const x = randArr([2, 3, 4, 5], 151);
      const ref = reduceRef(x, [2, 3], true, 'mean');
      expectTensor(h.read(h.run(() => F.globalAvgPool(T(x)))), [2, 3, 1, 1], ref.data);
    });
  });
});
