import { expect } from 'chai';
import * as F from '../../src/core/ops';
import { describeOnBackends } from './helpers/backends';
import { expectExact, expectTensor, values } from './helpers/expect-tensor';
import { arr, gatherRef, mapRef, randArr, type Arr } from './helpers/reference';

/** Reference top-k of one row: descending, ties by lower index. */
function topkRow(v: readonly number[], k: number): { values: number[]; indices: number[] } {
  const idx = v.map((_, i) => i).sort((a, b) => v[b] - v[a] || a - b).slice(0, k);
  return { values: idx.map((i) => v[i]), indices: idx };
}

describeOnBackends('op layer: topk and gather', (h) => {
  const T = (a: Arr) => h.f32(a.shape, a.data);

  describe('topk', () => {
    it('hand-computed: descending, ties keep the lower index first, int32 indices', () => {
      const r = h.run(() => F.topk(h.f32([7], [1, 3, 3, 2, 3, 0, 3]), 5));
      expect(r.indices.dtype).to.equal('int32');
      expectTensor(h.read(r.values), [5], [3, 3, 3, 3, 2]);
      expectExact(h.read(r.indices), [5], [1, 2, 4, 6, 3]);
    });

    it('k larger than the axis returns the whole axis sorted', () => {
      const r = h.run(() => F.topk(h.f32([4], [0.5, -1, 2, 0.5]), 10));
      expectTensor(h.read(r.values), [4], [2, 0.5, 0.5, -1]);
      expectExact(h.read(r.indices), [4], [2, 0, 3, 1]);
    });

    it('empty input and k = 0', () => {
      const r = h.run(() => F.topk(h.f32([0], []), 5));
      expectExact(h.read(r.values), [0], []);
      expectExact(h.read(r.indices), [0], []);
      const z = h.run(() => F.topk(h.f32([2, 3], [1, 2, 3, 4, 5, 6]), 0));
      expectExact(h.read(z.indices), [2, 0], []);
      expect(h.read(h.run(() => F.topk(h.f32([0, 6], []), 2)).indices).shape).to.deep.equal([0, 2]);
    });

    for (const [shape, k] of [
      [[3, 50], 7],
      [[1, 2000], 1000],
      [[2, 3, 2, 9], 4],
    ] as [number[], number][]) {
      it(`rows of [${shape}], k=${k}, many ties`, () => {
        const x = mapRef(randArr(shape, 161, 0, 6), Math.floor);
        const n = shape[shape.length - 1];
        const rows = x.data.length / n;
        const expV: number[] = [];
        const expI: number[] = [];
        for (let r = 0; r < rows; r++) {
          const t = topkRow(Array.from(x.data.subarray(r * n, (r + 1) * n)), k);
          expV.push(...t.values);
          expI.push(...t.indices);
        }
        const res = h.run(() => F.topk(T(x), k));
        const outShape = [...shape.slice(0, -1), k];
        expectTensor(h.read(res.values), outShape, expV);
        expectExact(h.read(res.indices), outShape, expI);
      });
    }
  });

  describe('gather', () => {
    it('hand-computed rows with repeats, int32 indices', () => {
      const y = h.run(() => F.gather(h.f32([3, 2], [1, 2, 3, 4, 5, 6]), h.i32([3], [2, 0, 2])));
      expectTensor(h.read(y), [3, 2], [5, 6, 1, 2, 5, 6]);
    });

    it('float indices are accepted (whole numbers) and int32 data keeps its dtype', () => {
      const y = h.run(() => F.gather(h.i32([4], [10, 20, 30, 40]), h.f32([2], [3, 1])));
      expect(y.dtype).to.equal('int32');
      expectExact(h.read(y), [2], [40, 20]);
    });

    for (const axis of [0, 1, 2, 3, -1]) {
      it(`along axis ${axis} of a rank-4 tensor`, () => {
        const x = randArr([2, 3, 4, 5], 171);
        const a = axis < 0 ? axis + 4 : axis;
        const idx = arr([3], [x.shape[a] - 1, 0, x.shape[a] - 1]);
        const ref = gatherRef(x, idx, a);
        const y = h.run(() => F.gather(T(x), h.i32([3], idx.data), axis));
        expectTensor(h.read(y), ref.shape, ref.data, { atol: 0, rtol: 0 });
      });
    }

    it('rows of 256 and more values (the host row copy), rank 4 and rank 2, repeated indices', () => {
      for (const shape of [[4, 16, 4, 4], [3, 300]]) {
        const x = randArr(shape, 173);
        const idx = arr([5], [3 % shape[0], 0, 2, 0, 1]);
        const ref = gatherRef(x, idx, 0);
        const y = h.run(() => F.gather(T(x), h.i32([5], idx.data), 0));
        expectTensor(h.read(y), ref.shape, ref.data, { atol: 0, rtol: 0 });
      }
    });

    it('with 2-D indices (the output rank grows to 4 and must keep NCHW order)', () => {
      const x = randArr([5, 3, 4], 172);
      const idx = arr([2, 2], [4, 0, 1, 1]);
      const ref = gatherRef(x, idx, 0);
      expect(ref.shape).to.deep.equal([2, 2, 3, 4]);
      const y = h.run(() => F.gather(T(x), h.i32([2, 2], idx.data), 0));
      expectTensor(h.read(y), ref.shape, ref.data, { atol: 0, rtol: 0 });
      const idx1 = arr([2, 2], [2, 0, 1, 1]);
      const ref1 = gatherRef(x, idx1, 1);
      expectTensor(h.read(h.run(() => F.gather(T(x), h.i32([2, 2], idx1.data), 1))), ref1.shape, ref1.data, { atol: 0, rtol: 0 });
    });

    it('empty: no indices, or nothing to gather from', () => {
      expect(h.read(h.run(() => F.gather(h.f32([5, 4], Array(20).fill(1)), h.i32([0], [])))).shape).to.deep.equal([0, 4]);
      expect(h.read(h.run(() => F.gather(h.f32([0, 4], []), h.i32([0], [])))).shape).to.deep.equal([0, 4]);
      expect(h.read(h.run(() => F.gather(h.f32([0, 3, 2, 2], []), h.i32([0], [])))).shape).to.deep.equal([0, 3, 2, 2]);
      expect(h.read(h.run(() => F.gather(h.f32([3, 0], []), h.i32([2], [1, 2])))).shape).to.deep.equal([2, 0]);
    });

    it('topk indices select the same values through gather', () => {
      const x = randArr([20], 173);
      const r = h.run(() => F.topk(T(x), 5));
      const g = h.run(() => F.gather(T(x), r.indices));
      expect(values(h.read(g))).to.deep.equal(values(h.read(r.values)));
    });
  });
});
