import { expect } from 'chai';
import * as F from '../../src/core/ops';
import type { ReduceOp } from '../../src/core/engine';
import { describeOnBackends } from './helpers/backends';
import { expectExact, expectTensor } from './helpers/expect-tensor';
import { argmaxRef, arr, mapRef, randArr, reduceRef, type Arr } from './helpers/reference';

const OPS: ReduceOp[] = ['sum', 'mean', 'max', 'min'];

/** Every non-empty subset of 0..rank-1. */
function subsets(rank: number): number[][] {
  const out: number[][] = [];
  for (let m = 1; m < 1 << rank; m++) out.push([...Array(rank).keys()].filter((i) => m & (1 << i)));
  return out;
}

describeOnBackends('op layer: reductions', (h) => {
  const T = (a: Arr) => h.f32(a.shape, a.data);

  it('hand-computed: sum over channels of [1,2,1,2]', () => {
    const x = h.f32([1, 2, 1, 2], [1, 2, 3, 4]);
    expectTensor(h.read(h.run(() => F.sum(x, 1))), [1, 1, 2], [4, 6]);
    expectTensor(h.read(h.run(() => F.sum(x, 1, true))), [1, 1, 1, 2], [4, 6]);
    expectTensor(h.read(h.run(() => F.mean(x, [2, 3]))), [1, 2], [1.5, 3.5]);
    expectTensor(h.read(h.run(() => F.max(x))), [], [4]);
  });

  for (const shape of [[2, 3, 2, 4], [3, 2, 4], [3, 5]]) {
    for (const axes of subsets(shape.length)) {
      it(`sum/mean/max/min of [${shape}] over [${axes}], with and without keepDims`, () => {
        const x = randArr(shape, 61 + axes.length, -4, 4);
        for (const op of OPS) {
          for (const keep of [false, true]) {
            const ref = reduceRef(x, axes, keep, op);
            const y = h.run(() => F[op](T(x), axes, keep));
            expectTensor(h.read(y), ref.shape, ref.data, { atol: 1e-5, rtol: 1e-5 });
          }
        }
      });
    }
  }

  it('negative axes and the default (all axes)', () => {
    const x = randArr([2, 3, 2, 4], 71);
    const r1 = reduceRef(x, [1, 3], false, 'sum');
    expectTensor(h.read(h.run(() => F.sum(T(x), [-3, -1]))), r1.shape, r1.data, { atol: 1e-5 });
    const r2 = reduceRef(x, [0, 1, 2, 3], false, 'mean');
    expectTensor(h.read(h.run(() => F.mean(T(x)))), [], r2.data, { atol: 1e-6 });
    const r3 = reduceRef(x, [0, 1, 2, 3], true, 'max');
    expectTensor(h.read(h.run(() => F.max(T(x), undefined, true))), [1, 1, 1, 1], r3.data);
    expect(() => h.run(() => F.sum(T(x), 4))).to.throw(/out of range/);
  });

  describe('argmax', () => {
    it('hand-computed, ties keep the first index', () => {
      const y = h.run(() => F.argmax(h.f32([2, 4], [1, 3, 3, 2, 5, 5, 5, 5])));
      expect(y.dtype).to.equal('int32');
      expectExact(h.read(y), [2], [1, 0]);
    });

    for (const axis of [0, 1, 2, 3, -1]) {
      it(`over axis ${axis} of a rank-4 tensor (with ties)`, () => {
        // coarse integer values make ties frequent
        const x = mapRef(randArr([2, 3, 2, 4], 81, 0, 3), Math.floor);
        const ref = argmaxRef(x, axis < 0 ? axis + 4 : axis);
        expectExact(h.read(h.run(() => F.argmax(T(x), axis))), ref.shape, ref.data);
      });
    }

    it('over axis 1 of a rank-3 tensor', () => {
      const x = mapRef(randArr([2, 5, 3], 82, 0, 3), Math.floor);
      const ref = argmaxRef(x, 1);
      expectExact(h.read(h.run(() => F.argmax(T(x), 1))), ref.shape, ref.data);
    });

    it('of a single row', () => {
      expectExact(h.read(h.run(() => F.argmax(T(arr([3], [0.1, 0.7, 0.2])), 0))), [], [1]);
    });
  });
});
