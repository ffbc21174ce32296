/** The onnxruntime matrix product kernels against a direct loop, on wasm and cpu. */
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../../../../../src/core/random';
import { ortCalls } from '../../../../../src/engines/tfjs/kernels/ort/kernel-set';
import { describeOnBackends } from '../../../../core/helpers/backends';
import { withKernelSet } from '../../helpers/kernel-sets';

const rand = (shape: number[], seed: number) => tf.tensor(new Random(seed).normalArray(shape.reduce((a, b) => a * b, 1)), shape);

/** C[b] = op(A[b]) op(B[b]) for [batch, m, k] operands (batch 1 broadcasts), in float64. */
function reference(a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): { values: Float64Array; shape: number[] } {
  const A = a.dataSync();
  const B = b.dataSync();
  const [ba, ra, ca] = a.shape.length === 3 ? a.shape : [1, ...a.shape];
  const [bb, rb, cb] = b.shape.length === 3 ? b.shape : [1, ...b.shape];
  const [m, k] = ta ? [ca, ra] : [ra, ca];
  const n = tb ? rb : cb;
  const batch = Math.max(ba, bb);
  const out = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const av = A[(ba === 1 ? 0 : t) * ra * ca + (ta ? p * ca + i : i * ca + p)];
          const bv = B[(bb === 1 ? 0 : t) * rb * cb + (tb ? j * cb + p : p * cb + j)];
          s += av * bv;
        }
        out[(t * m + i) * n + j] = s;
      }
  const shape = a.shape.length === 3 || b.shape.length === 3 ? [batch, m, n] : [m, n];
  return { values: out, shape };
}

function expectClose(got: tf.Tensor, want: { values: Float64Array; shape: number[] }): void {
  expect(got.shape).to.deep.equal(want.shape);
  const g = got.dataSync();
  for (let i = 0; i < g.length; i++) expect(g[i]).to.be.closeTo(want.values[i], 1e-4 * (1 + Math.abs(want.values[i])));
}

describeOnBackends('ort kernels: matrix products', () => {
  withKernelSet('ort');

  it('BatchMatMul: 2-D, batched, a broadcast batch, every transpose combination', () => {
    const before = ortCalls.ort.get(tf.BatchMatMul) ?? 0;
    let calls = 0;
    for (const [as, bs] of [
      [[4, 5], [5, 3]],
      [[2, 4, 5], [2, 5, 3]],
      [[1, 4, 5], [3, 5, 2]],
    ]) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const a = rand(ta ? [...as.slice(0, -2), as[as.length - 1], as[as.length - 2]] : as, 1);
          const b = rand(tb ? [...bs.slice(0, -2), bs[bs.length - 1], bs[bs.length - 2]] : bs, 2);
          expectClose(tf.matMul(a, b, ta, tb), reference(a, b, ta, tb));
          calls++;
        }
      }
    }
    expect((ortCalls.ort.get(tf.BatchMatMul) ?? 0) - before).to.equal(calls);
  });

  it('_FusedMatMul: bias broadcast over rows, then relu or prelu', () => {
    const a = rand([6, 4], 3);
    const b = rand([4, 5], 4);
    const bias = rand([5], 5);
    const alpha = rand([5], 6);
    const plain = reference(a, b, false, false);
    const bv = bias.dataSync();
    const av = alpha.dataSync();
    const before = ortCalls.ort.get(tf._FusedMatMul) ?? 0;
    const relu = tf.fused.matMul({ a, b, bias, activation: 'relu' });
    expectClose(relu, { ...plain, values: plain.values.map((v, i) => Math.max(v + bv[i % 5], 0)) });
    const prelu = tf.fused.matMul({ a, b, bias, activation: 'prelu', preluActivationWeights: alpha });
    expectClose(prelu, { ...plain, values: plain.values.map((v, i) => (v + bv[i % 5] > 0 ? v + bv[i % 5] : av[i % 5] * (v + bv[i % 5]))) });
    expect((ortCalls.ort.get(tf._FusedMatMul) ?? 0) - before).to.equal(2);
  });
});
