/**
 * conv_transpose2d on the tfjs engine (cpu and wasm) against PyTorch: outputs and the
 * gradients of sum(y * r) for the cases in test/fixtures/deconv/deconv.json (make_deconv.py),
 * plus a hand-computed case and the argument checks.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { withEngine } from '../../src/core/engine-context';
import * as F from '../../src/core/ops';
import { TfTensor, unwrap } from '../../src/engines/tfjs/tfjs-engine';
import { REPO_ROOT } from '../fixture-root';
import { describeOnBackends } from './helpers/backends';
import { expectTensor } from './helpers/expect-tensor';

interface Enc {
  shape: number[];
  data: number[];
}
export interface DeconvCase {
  name: string;
  stride: [number, number];
  padding: [number, number];
  output_padding: [number, number];
  dilation: [number, number];
  groups: number;
  x: Enc;
  weight: Enc;
  bias: Enc | null;
  y: Enc;
  r: Enc;
  grad_x: Enc;
  grad_weight: Enc;
  grad_bias: Enc | null;
}

export const DECONV_CASES = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'deconv', 'deconv.json'), 'utf8')) as { cases: DeconvCase[] }
).cases;

export const deconvArgs = (c: DeconvCase): F.ConvTranspose2dArgs => ({
  stride: c.stride,
  padding: c.padding,
  outputPadding: c.output_padding,
  dilation: c.dilation,
  groups: c.groups,
});

describeOnBackends('op layer: conv_transpose2d', (h) => {
  const T = (e: Enc) => h.f32(e.shape, e.data);

  it('hand-computed: a 2x2 stride-2 kernel pastes a scaled copy of itself per input pixel', () => {
    const x = h.f32([1, 1, 1, 2], [1, 10]);
    const w = h.f32([1, 1, 2, 2], [1, 2, 3, 4]);
    const y = h.run(() => F.convTranspose2d(x, w, h.f32([1], [0.5])));
    // stride 1: overlapping copies add up
    expectTensor(h.read(y), [1, 1, 2, 3], [1.5, 12.5, 20.5, 3.5, 34.5, 40.5]);
    const s2 = h.run(() => F.convTranspose2d(x, w, null, { stride: 2 }));
    expectTensor(h.read(s2), [1, 1, 2, 4], [1, 2, 10, 20, 3, 4, 30, 40]);
  });

  for (const c of DECONV_CASES) {
    it(`${c.name}: output and gradients match PyTorch`, () => {
      const [x, w, r] = [T(c.x), T(c.weight), T(c.r)];
      const b = c.bias ? T(c.bias) : null;
      const y = h.run(() => F.convTranspose2d(x, w, b, deconvArgs(c)));
      expectTensor(h.read(y), c.y.shape, c.y.data, { atol: 1e-4, rtol: 1e-4 });
      const inputs = [x, w, ...(b ? [b] : [])].map((t) => unwrap(t));
      const grads = tf.grads((...ts: tf.Tensor[]) => {
        const out = withEngine(h.engine, () =>
          F.convTranspose2d(new TfTensor(ts[0]), new TfTensor(ts[1]), ts[2] ? new TfTensor(ts[2]) : null, deconvArgs(c)),
        );
        return tf.sum(tf.mul(unwrap(out), unwrap(r))) as tf.Scalar;
      })(inputs);
      const read = (g: tf.Tensor) => h.read(new TfTensor(g));
      expectTensor(read(grads[0]), c.grad_x.shape, c.grad_x.data, { atol: 1e-4, rtol: 1e-4 });
      expectTensor(read(grads[1]), c.grad_weight.shape, c.grad_weight.data, { atol: 1e-4, rtol: 1e-4 });
      if (c.grad_bias) expectTensor(read(grads[2]), c.grad_bias.shape, c.grad_bias.data, { atol: 1e-4, rtol: 1e-4 });
    });
  }

  it('refuses a weight that does not fit, and output_padding at or above both stride and dilation', () => {
    const x = h.f32([1, 2, 3, 3], new Array(18).fill(1));
    expect(() => h.run(() => F.convTranspose2d(x, h.f32([3, 1, 2, 2], new Array(12).fill(1)), null))).to.throw(/first axis must equal the 2 input channels/);
    const w = h.f32([2, 1, 3, 3], new Array(18).fill(1));
    expect(() => h.run(() => F.convTranspose2d(x, w, null, { stride: 2, outputPadding: 2 }))).to.throw(/output_padding 2 must be smaller/);
    expect(() => h.run(() => F.convTranspose2d(x, w, null, { padding: 3 }))).to.throw(/leaves no output/);
  });
});
