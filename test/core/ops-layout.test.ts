import { expect } from 'chai';
import * as F from '../../src/core/ops';
import { describeOnBackends } from './helpers/backends';
import { expectTensor } from './helpers/expect-tensor';
import { concatRef, randArr, sliceRef, tileRef, transposeRef, type Arr } from './helpers/reference';

function permutations(n: number): number[][] {
  if (n === 1) return [[0]];
  return permutations(n - 1).flatMap((p) => [...Array(n).keys()].map((i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

const iota = (n: number) => Array.from({ length: n }, (_, i) => i);

describeOnBackends('op layer: layout (NCHW semantics)', (h) => {
  const T = (a: Arr) => h.f32(a.shape, a.data);

  describe('reshape and flatten', () => {
    // reshape never moves data in NCHW (row-major) order, whatever the engine stores inside
    const cases: [number[], number[]][] = [
      [[2, 3, 2, 2], [2, 12]],
      [[2, 3, 2, 2], [6, 4]],
      [[2, 3, 2, 2], [24]],
      [[2, 3, 2, 2], [2, 6, 2, 1]],
      [[2, 3, 2, 2], [1, 2, 3, 4]],
      [[2, 12], [2, 3, 2, 2]],
      [[6, 4], [2, 3, 4]],
      [[2, 3, 4], [2, 3, 2, 2]],
      [[24], [4, 3, 2, 1]],
    ];
    for (const [from, to] of cases) {
      it(`[${from}] → [${to}] keeps row-major order`, () => {
        const n = from.reduce((p, q) => p * q, 1);
        const y = h.run(() => F.reshape(h.f32(from, iota(n)), to));
        expectTensor(h.read(y), to, iota(n));
      });
    }

    it('resolves -1 and rejects sizes that do not fit', () => {
      const x = h.f32([2, 3, 2, 2], iota(24));
      expectTensor(h.read(h.run(() => F.reshape(x, [2, -1, 4]))), [2, 3, 4], iota(24));
      expect(() => h.run(() => F.reshape(x, [5, -1]))).to.throw(/cannot reshape/);
    });

    it('flatten from dims 0, 1, 2', () => {
      const x = h.f32([2, 3, 2, 2], iota(24));
      expectTensor(h.read(h.run(() => F.flatten(x))), [2, 12], iota(24));
      expectTensor(h.read(h.run(() => F.flatten(x, 0))), [24], iota(24));
      expectTensor(h.read(h.run(() => F.flatten(x, 2))), [2, 3, 4], iota(24));
    });
  });

  describe('transpose', () => {
    it('hand-computed 2-D', () => {
      expectTensor(h.read(h.run(() => F.transpose(h.f32([2, 3], iota(6)), [1, 0]))), [3, 2], [0, 3, 1, 4, 2, 5]);
    });

    it('every permutation of a rank-4 tensor', () => {
      const x = randArr([2, 3, 4, 5], 91);
      for (const p of permutations(4)) {
        const ref = transposeRef(x, p);
        expectTensor(h.read(h.run(() => F.transpose(T(x), p))), ref.shape, ref.data, { atol: 0, rtol: 0 });
      }
    });

    it('every permutation of a rank-3 tensor', () => {
      const x = randArr([2, 3, 4], 92);
      for (const p of permutations(3)) {
        const ref = transposeRef(x, p);
        expectTensor(h.read(h.run(() => F.transpose(T(x), p))), ref.shape, ref.data, { atol: 0, rtol: 0 });
      }
    });
  });

  describe('concat, slice, narrow, tile', () => {
    for (const axis of [0, 1, 2, 3, -3]) {
      it(`concat of rank-4 tensors along axis ${axis}`, () => {
        const a = axis < 0 ? axis + 4 : axis;
        const shapes = [1, 2, 3].map((k) => [2, 3, 2, 4].map((d, i) => (i === a ? k : d)));
        const xs = shapes.map((s, i) => randArr(s, 100 + i));
        const ref = concatRef(xs, a);
        expectTensor(h.read(h.run(() => F.concat(xs.map(T), axis))), ref.shape, ref.data, { atol: 0, rtol: 0 });
      });
    }

    it('concat: hand-computed channels, rank-2 rows, and a single tensor', () => {
      const y = h.run(() => F.concat([h.f32([1, 1, 1, 2], [1, 2]), h.f32([1, 2, 1, 2], [3, 4, 5, 6])]));
      expectTensor(h.read(y), [1, 3, 1, 2], [1, 2, 3, 4, 5, 6]);
      expectTensor(h.read(h.run(() => F.concat([h.f32([1, 2], [1, 2]), h.f32([2, 2], [3, 4, 5, 6])], 0))), [3, 2], iota(6).map((v) => v + 1));
      const one = h.f32([2], [1, 2]);
      expect(h.run(() => F.concat([one]))).to.equal(one);
    });

    const slices: [number[], number[]][] = [
      [[0, 1, 0, 1], [2, 2, 2, 3]],
      [[1, 0, 1, 0], [1, 3, 1, 4]],
      [[0, 2, 0, 0], [2, 1, 2, 4]],
      [[0, 0, 1, 2], [1, 3, 1, 2]],
    ];
    for (const [begin, size] of slices) {
      it(`slice of a rank-4 tensor at [${begin}] size [${size}]`, () => {
        const x = randArr([2, 3, 2, 4], 111);
        const ref = sliceRef(x, begin, size);
        expectTensor(h.read(h.run(() => F.slice(T(x), begin, size))), ref.shape, ref.data, { atol: 0, rtol: 0 });
      });
    }

    it('slice with -1 (to the end) and on rank 2', () => {
      const x = randArr([2, 3, 2, 4], 112);
      const ref = sliceRef(x, [1, 1, 0, 2], [1, 2, 2, 2]);
      expectTensor(h.read(h.run(() => F.slice(T(x), [1, 1, 0, 2], [-1, -1, -1, -1]))), ref.shape, ref.data);
      expectTensor(h.read(h.run(() => F.slice(h.f32([3, 3], iota(9)), [1, 0], [2, -1]))), [2, 3], [3, 4, 5, 6, 7, 8]);
    });

    for (const axis of [0, 1, 2, 3, -1]) {
      it(`narrow along axis ${axis}`, () => {
        const x = randArr([2, 3, 3, 4], 113);
        const a = axis < 0 ? axis + 4 : axis;
        const begin = [0, 0, 0, 0];
        const size = [...x.shape];
        begin[a] = 1;
        size[a] = x.shape[a] - 1;
        const ref = sliceRef(x, begin, size);
        expectTensor(h.read(h.run(() => F.narrow(T(x), axis, 1, x.shape[a] - 1))), ref.shape, ref.data);
      });
    }

    for (const [shape, reps] of [
      [[1, 2, 2, 3], [2, 3, 1, 2]],
      [[2, 1, 1, 2], [1, 4, 2, 1]],
      [[2, 3], [3, 2]],
      [[3], [2]],
    ] as [number[], number[]][]) {
      it(`tile [${shape}] by [${reps}]`, () => {
        const x = randArr(shape, 114);
        const ref = tileRef(x, reps);
        expectTensor(h.read(h.run(() => F.tile(T(x), reps))), ref.shape, ref.data, { atol: 0, rtol: 0 });
      });
    }
  });

  describe('empty tensors (no detections, no RoIs)', () => {
    it('read back, transpose, reshape, concat and slice', () => {
      const e = h.f32([0, 3, 7, 7], []);
      expect(h.read(e).shape).to.deep.equal([0, 3, 7, 7]);
      expect(h.read(h.run(() => F.transpose(e, [0, 2, 3, 1]))).shape).to.deep.equal([0, 7, 7, 3]);
      expect(h.read(h.run(() => F.flatten(e))).shape).to.deep.equal([0, 147]);
      expect(h.read(h.run(() => F.transpose(h.f32([0, 4], []), [1, 0]))).shape).to.deep.equal([4, 0]);
      const x = randArr([2, 3, 7, 7], 115);
      const y = h.run(() => F.concat([e, T(x)], 0));
      expectTensor(h.read(y), x.shape, x.data);
      expect(h.read(h.run(() => F.narrow(T(x), 0, 1, 0))).shape).to.deep.equal([0, 3, 7, 7]);
    });
  });

  it('pair and normAxis', () => {
    expect(F.pair(3)).to.deep.equal([3, 3]);
    expect(F.pair([1, 2])).to.deep.equal([1, 2]);
    expect(F.normAxis(-1, 4)).to.equal(3);
    expect(() => F.normAxis(-5, 4)).to.throw(/out of range/);
  });
});
