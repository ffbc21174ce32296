import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { withEngine } from '../../src/core/engine-context';
import { Dropout } from '../../src/nn/dropout';
import { Dropout2d } from '../../src/nn/dropout2d';
import { Random } from '../../src/core/random';
import { ShapeEngine } from '../../src/engines/shape/shape-engine';
import { TfTensor, unwrap } from '../../src/engines/tfjs/tfjs-engine';
import { describeOnBackends } from '../core/helpers/backends';

describeOnBackends('nn.Dropout and Dropout2d on the tfjs engine', (h) => {
  const x = () => h.f32([2, 3, 4, 5], Array.from({ length: 120 }, (_, i) => i + 1));

  it('Dropout: identity in eval mode and for p = 0', () => {
    const input = x();
    expect(h.run(() => new Dropout(0.5).eval().forward(input))).to.equal(input);
    expect(h.run(() => new Dropout(0).forward(input))).to.equal(input);
    expect(() => new Dropout(1.5)).to.throw(/p must be in \[0, 1\]/);
  });

  it('Dropout in training: each element 0 or x / (1 - p), about p of them dropped, reproducible from the seed', () => {
    const n = 20000;
    const ones = h.f32([n], new Array(n).fill(1));
    const y = h.read(h.run(() => new Dropout(0.3, new Random(5)).forward(ones))).data as Float32Array;
    const dropped = y.filter((v) => v === 0).length;
    expect(y.every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-6)).to.equal(true);
    expect(dropped / n).to.be.closeTo(0.3, 0.02);
    const again = h.read(h.run(() => new Dropout(0.3, new Random(5)).forward(ones))).data as Float32Array;
    expect(Array.from(again)).to.deep.equal(Array.from(y));
  });

  it('Dropout2d zeroes whole channels per sample', () => {
    const y = h.read(h.run(() => new Dropout2d(0.5, new Random(1)).forward(x()))).data as Float32Array;
    const channels = new Set<string>();
    for (let c = 0; c < 6; c++) {
      const block = Array.from(y.slice(c * 20, (c + 1) * 20));
      const zero = block.every((v) => v === 0);
      const scaled = block.every((v, i) => Math.abs(v - 2 * (c * 20 + i + 1)) < 1e-4);
      expect(zero || scaled, `channel ${c}`).to.equal(true);
      channels.add(zero ? 'dropped' : 'kept');
    }
    expect([...channels].sort()).to.deep.equal(['dropped', 'kept']);
  });

  it('the gradient of Dropout is its mask', () => {
    const input = unwrap(x());
    let y!: Float32Array;
    const [g] = tf.grads((t: tf.Tensor) => {
      const out = withEngine(h.engine, () => new Dropout(0.4, new Random(2)).forward(new TfTensor(t)));
      y = h.read(out).data as Float32Array;
      return tf.sum(unwrap(out)) as tf.Scalar;
    })([input]);
    const grad = h.read(new TfTensor(g)).data as Float32Array;
    grad.forEach((v, i) => expect(v).to.be.closeTo(y[i] / (i + 1), 1e-5));
  });

  it('symbolic engines see the identity (export and analysis of a training-mode model)', () => {
    const shape = new ShapeEngine();
    const t = shape.input([1, 3, 4, 4]);
    expect(withEngine(shape, () => new Dropout2d(0.1).forward(t))).to.equal(t);
  });
});
