import { expect } from 'chai';
import * as F from '../../src/core/ops';
import type { BinaryOp, CompareOp } from '../../src/core/engine';
import { describeOnBackends } from './helpers/backends';
import { expectExact, expectTensor } from './helpers/expect-tensor';
import { arr, broadcastRef, mapRef, randArr, strides, type Arr } from './helpers/reference';

const BINARY: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  maximum: Math.max,
  minimum: Math.min,
  pow: (a, b) => a ** b,
};
const COMPARE: Record<CompareOp, (a: number, b: number) => boolean> = {
  greater: (a, b) => a > b,
  greaterEqual: (a, b) => a >= b,
  less: (a, b) => a < b,
  lessEqual: (a, b) => a <= b,
  equal: (a, b) => a === b,
};

/** Operand shapes broadcast against a rank-4 [2,3,2,4] tensor (NHWC inside the engine). */
const PARTNERS: number[][] = [
  [3, 1, 1],
  [1, 3, 1, 1],
  [4],
  [2, 1],
  [2, 4],
  [3, 2, 4],
  [3, 1, 4],
  [1, 1, 2, 1],
  [2, 3, 2, 4],
  [1],
  [],
];

describeOnBackends('op layer: elementwise', (h) => {
  const T = (a: Arr) => h.f32(a.shape, a.data);

  describe('unary', () => {
    const xs = [-2, -0.5, 0, 0.5, 2, 3.7];
    const pos = [0.25, 0.5, 1, 2, 4, 9];
    const ops: [keyof typeof F, (v: number) => number, number[]][] = [
      ['relu', (v) => Math.max(v, 0), xs],
      ['sigmoid', (v) => 1 / (1 + Math.exp(-v)), xs],
      ['exp', Math.exp, xs],
      ['log', Math.log, pos],
      ['sqrt', Math.sqrt, pos],
      ['neg', (v) => -v, xs],
      ['abs', Math.abs, xs],
      ['floor', Math.floor, xs],
      ['ceil', Math.ceil, xs],
      ['tanh', Math.tanh, xs],
      ['softplus', (v) => Math.log1p(Math.exp(v)), xs],
    ];
    for (const [name, f, input] of ops) {
      it(`${name} on a rank-4 tensor`, () => {
        const x = arr([1, 2, 1, 3], input);
        const y = h.run(() => (F[name] as (t: unknown) => ReturnType<typeof F.relu>)(T(x)));
        const ref = mapRef(x, f);
        expectTensor(h.read(y), ref.shape, ref.data, { atol: 1e-6, rtol: 1e-5 });
      });
    }
  });

  describe('binary broadcasting (NumPy rules over NCHW shapes)', () => {
    it('hand-computed: [N,C,H,W] + [C,1,1] adds per channel, + [W] per column, + [H,1] per row', () => {
      const x = h.f32([1, 2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
      expectTensor(h.read(h.run(() => F.add(x, h.f32([2, 1, 1], [10, 20])))), [1, 2, 2, 2], [11, 12, 13, 14, 25, 26, 27, 28]);
      expectTensor(h.read(h.run(() => F.add(x, h.f32([2], [10, 20])))), [1, 2, 2, 2], [11, 22, 13, 24, 15, 26, 17, 28]);
      expectTensor(h.read(h.run(() => F.add(x, h.f32([2, 1], [10, 20])))), [1, 2, 2, 2], [11, 12, 23, 24, 15, 16, 27, 28]);
      expectTensor(h.read(h.run(() => F.sub(h.f32([1, 2, 1, 1], [100, 200]), x))), [1, 2, 2, 2], [99, 98, 97, 96, 195, 194, 193, 192]);
    });

    for (const shape of PARTNERS) {
      it(`all binary ops: [2,3,2,4] with [${shape}], both orders`, () => {
        const a = randArr([2, 3, 2, 4], 21, 0.5, 2);
        const b = randArr(shape, 22, 0.5, 2);
        for (const [op, f] of Object.entries(BINARY) as [BinaryOp, (a: number, b: number) => number][]) {
          const fn = F[op];
          const ab = broadcastRef([a, b], f);
          expectTensor(h.read(h.run(() => fn(T(a), T(b)))), ab.shape, ab.data, { atol: 1e-6, rtol: 1e-5 });
          const ba = broadcastRef([b, a], f);
          expectTensor(h.read(h.run(() => fn(T(b), T(a)))), ba.shape, ba.data, { atol: 1e-6, rtol: 1e-5 });
        }
      });
    }

    it('a rank-4 operand with size-1 channels broadcasts against a lower-rank one: [2,1,2,4] * [3,1,1]', () => {
      const a = randArr([2, 1, 2, 4], 23);
      const b = randArr([3, 1, 1], 24);
      const ref = broadcastRef([a, b], BINARY.mul);
      expectTensor(h.read(h.run(() => F.mul(T(a), T(b)))), [2, 3, 2, 4], ref.data);
    });

    it('operands below rank 4 broadcast among themselves: [2,1,4] - [3,1]', () => {
      const a = randArr([2, 1, 4], 25);
      const b = randArr([3, 1], 26);
      const ref = broadcastRef([a, b], BINARY.sub);
      expectTensor(h.read(h.run(() => F.sub(T(a), T(b)))), [2, 3, 4], ref.data);
    });

    it('plain numbers on either side', () => {
      const x = h.f32([1, 1, 1, 3], [1, 2, 4]);
      expectTensor(h.read(h.run(() => F.add(x, 1))), [1, 1, 1, 3], [2, 3, 5]);
      expectTensor(h.read(h.run(() => F.sub(1, x))), [1, 1, 1, 3], [0, -1, -3]);
      expectTensor(h.read(h.run(() => F.div(2, x))), [1, 1, 1, 3], [2, 1, 0.5]);
      expectTensor(h.read(h.run(() => F.pow(x, 2))), [1, 1, 1, 3], [1, 4, 16]);
      expect(() => h.run(() => F.add(1, 2))).to.throw(/tensor/);
    });

    it('int32 tensors stay int32 with whole-number operands', () => {
      const y = h.run(() => F.mul(h.i32([3], [1, 2, 3]), 3));
      expect(y.dtype).to.equal('int32');
      expectExact(h.read(y), [3], [3, 6, 9]);
    });

    it('int32 tensors promote to float32 with fractional operands; division is true division', () => {
      const y = h.run(() => F.mul(h.i32([2], [1, 3]), 0.5));
      expect(y.dtype).to.equal('float32');
      expectTensor(h.read(y), [2], [0.5, 1.5]);
      expectExact(h.read(h.run(() => F.greaterEqual(h.i32([3], [0, 1, 2]), 0.5))), [3], [0, 1, 1]);
      expectExact(h.read(h.run(() => F.equal(h.i32([3], [0, 1, 2]), 1.5))), [3], [0, 0, 0]);
      const q = h.run(() => F.div(h.i32([3], [1, -3, 4]), 2));
      expect(q.dtype).to.equal('float32');
      expectTensor(h.read(q), [3], [0.5, -1.5, 2]);
      expectTensor(h.read(h.run(() => F.div(h.i32([2], [7, 1]), h.i32([2], [2, 4])))), [2], [3.5, 0.25]);
    });
  });

  describe('compare, where, clip, cast', () => {
    for (const shape of [[3, 1, 1], [4], [2, 3, 2, 4], []]) {
      it(`compare ops: [2,3,2,4] with [${shape}] give bool`, () => {
        // a small integer grid so that equality happens
        const a = mapRef(randArr([2, 3, 2, 4], 31, 0, 4), Math.floor);
        const b = mapRef(randArr(shape, 32, 0, 4), Math.floor);
        for (const [op, f] of Object.entries(COMPARE) as [CompareOp, (a: number, b: number) => boolean][]) {
          const y = h.run(() => F[op](T(a), T(b)));
          expect(y.dtype).to.equal('bool');
          const ref = broadcastRef([a, b], (p, q) => (f(p, q) ? 1 : 0));
          expectExact(h.read(y), ref.shape, ref.data);
        }
      });
    }

    it('compare with a number', () => {
      const y = h.run(() => F.greaterEqual(h.f32([4], [-1, 0, 0.5, 2]), 0.5));
      expectExact(h.read(y), [4], [0, 0, 1, 1]);
    });

    it('where: hand-computed', () => {
      const y = h.run(() => F.where(h.bool([4], [1, 0, 0, 1]), h.f32([4], [1, 2, 3, 4]), h.f32([4], [-1, -2, -3, -4])));
      expectTensor(h.read(y), [4], [1, -2, -3, 4]);
    });

    const whereShapes: [number[], number[], number[]][] = [
      [[2, 3, 2, 4], [2, 3, 2, 4], [3, 1, 1]],
      [[4], [2, 3, 2, 4], []],
      [[3, 1, 1], [2, 4], [1, 3, 1, 1]],
      [[2, 1], [2, 3, 2, 4], [4]],
      // a condition that picks whole rows (the RoI extractor's per-level choice): its own tfjs path
      [[5, 1, 1, 1], [5, 3, 2, 4], [5, 3, 2, 4]],
      [[6, 1], [6, 7], [6, 7]],
    ];
    for (const [sc, sa, sb] of whereShapes) {
      it(`where broadcasts cond [${sc}], a [${sa}], b [${sb}]`, () => {
        const c = mapRef(randArr(sc, 41, 0, 2), Math.floor);
        const a = randArr(sa, 42);
        const b = randArr(sb, 43);
        const ref = broadcastRef([c, a, b], (cv, av, bv) => (cv ? av : bv));
        const y = h.run(() => F.where(h.bool(c.shape, c.data), T(a), T(b)));
        expectTensor(h.read(y), ref.shape, ref.data);
      });
    }

    it('clip', () => {
      const y = h.run(() => F.clip(h.f32([1, 1, 1, 5], [-3, -1, 0, 1, 3]), -1.5, 2));
      expectTensor(h.read(y), [1, 1, 1, 5], [-1.5, -1, 0, 1, 2]);
    });

    it('cast float → int32 truncates toward zero (as PyTorch), bool → float, int → float', () => {
      const i = h.run(() => F.cast(h.f32([4], [-1.7, -0.2, 0.9, 2.5]), 'int32'));
      expect(i.dtype).to.equal('int32');
      expectExact(h.read(i), [4], [-1, 0, 0, 2]);
      const f = h.run(() => F.cast(h.bool([3], [1, 0, 1]), 'float32'));
      expect(f.dtype).to.equal('float32');
      expectTensor(h.read(f), [3], [1, 0, 1]);
      expectTensor(h.read(h.run(() => F.cast(h.i32([2], [7, -3]), 'float32'))), [2], [7, -3]);
      expectExact(h.read(h.run(() => F.cast(h.f32([3], [0, 2, -0.5]), 'bool'))), [3], [0, 1, 1]);
    });
  });

  describe('softplus and log-softmax', () => {
    it('softplus is stable for large |x| (log1p(exp(-|x|)) + max(x, 0))', () => {
      const y = h.read(h.run(() => F.softplus(h.f32([4], [-100, -20, 20, 100]))));
      expectTensor(y, [4], [Math.exp(-100), Math.log1p(Math.exp(-20)), 20 + Math.log1p(Math.exp(-20)), 100], { atol: 1e-7, rtol: 1e-6 });
    });

    it('log-softmax is stable for large logits and hand-computed over the last axis', () => {
      const big = h.read(h.run(() => F.logSoftmax(h.f32([2], [1000, 1001]))));
      expectTensor(big, [2], [-Math.log1p(Math.E), -Math.log1p(Math.exp(-1))], { atol: 1e-6 });
      const lse = Math.log(1 + Math.E + Math.E ** 2);
      expectTensor(h.read(h.run(() => F.logSoftmax(h.f32([1, 3], [0, 1, 2])))), [1, 3], [-lse, 1 - lse, 2 - lse], { atol: 1e-6 });
    });

    for (const [shape, axis] of [
      [[2, 3, 2, 4], 1],
      [[2, 3, 2, 4], 3],
      [[3, 5], 0],
      [[2, 3, 4], -1],
    ] as [number[], number][]) {
      it(`log-softmax over axis ${axis} of [${shape}]`, () => {
        const x = randArr(shape, 52, -3, 3);
        const ref = logSoftmaxRef(x, axis < 0 ? axis + shape.length : axis);
        expectTensor(h.read(h.run(() => F.logSoftmax(T(x), axis))), shape, ref.data, { atol: 1e-5, rtol: 1e-5 });
      });
    }
  });

  describe('softmax', () => {
    it('is stable for large logits', () => {
      const e = 1 / (1 + Math.E);
      expectTensor(h.read(h.run(() => F.softmax(h.f32([2], [1000, 1001])))), [2], [e, 1 - e]);
    });

    it('hand-computed over the last axis', () => {
      const e = [1, Math.E, Math.E ** 2];
      const s = e[0] + e[1] + e[2];
      expectTensor(h.read(h.run(() => F.softmax(h.f32([1, 3], [0, 1, 2])))), [1, 3], e.map((v) => v / s));
    });

    for (const [shape, axis] of [
      [[2, 3, 2, 4], 1],
      [[2, 3, 2, 4], 2],
      [[2, 3, 2, 4], 3],
      [[2, 3, 2, 4], -1],
      [[2, 3, 2, 4], 0],
      [[3, 5], 0],
      [[2, 3, 4], 1],
    ] as [number[], number][]) {
      it(`over axis ${axis} of [${shape}]`, () => {
        const x = randArr(shape, 51, -3, 3);
        const a = axis < 0 ? axis + shape.length : axis;
        const ex = mapRef(x, Math.exp);
        const sums = arr(
          shape.map((d, i) => (i === a ? 1 : d)),
          (() => {
            const kept = shape.map((d, i) => (i === a ? 1 : d));
            const out = new Float64Array(kept.reduce((p, q) => p * q, 1));
            const st = shape.map((_, i) => shape.slice(i + 1).reduce((p, q) => p * q, 1));
            const kt = kept.map((_, i) => kept.slice(i + 1).reduce((p, q) => p * q, 1));
            for (let f = 0; f < ex.data.length; f++) {
              let j = 0;
              for (let d = 0; d < shape.length; d++) if (d !== a) j += (Math.floor(f / st[d]) % shape[d]) * kt[d];
              out[j] += ex.data[f];
            }
            return out;
          })(),
        );
        const ref = broadcastRef([ex, sums], (p, q) => p / q);
        expectTensor(h.read(h.run(() => F.softmax(T(x), axis))), ref.shape, ref.data, { atol: 1e-6, rtol: 1e-5 });
      });
    }
  });
});

/** x - log(sum(exp(x))) along `axis`, in double precision. */
function logSoftmaxRef(x: Arr, axis: number): Arr {
  const out = arr(x.shape);
  const st = strides(x.shape);
  const n = x.shape[axis];
  for (let f = 0; f < x.data.length; f++) {
    const base = f - (Math.floor(f / st[axis]) % n) * st[axis];
    let s = 0;
    for (let k = 0; k < n; k++) s += Math.exp(x.data[base + k * st[axis]]);
    out.data[f] = x.data[f] - Math.log(s);
  }
  return out;
}
