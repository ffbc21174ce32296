/** The tfjs engine frees what a forward (and a backward) allocates when run in its scope. */
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { withEngine } from '../../../src/core/engine-context';
import { hostTensor } from '../../../src/core/host-tensor';
import { Module } from '../../../src/core/module';
import * as F from '../../../src/core/ops';
import { Random } from '../../../src/core/random';
import type { Tensor } from '../../../src/core/tensor';
import { BatchNorm2d } from '../../../src/nn/batch-norm2d';
import { Conv2d } from '../../../src/nn/conv2d';
import { ReLU } from '../../../src/nn/activations';
import { Sequential } from '../../../src/nn/containers';
import { TfTensor, unwrap } from '../../../src/engines/tfjs/tfjs-engine';
import { describeOnBackends } from '../../core/helpers/backends';

/** Max pool then bilinear resize back up: the spatial ops of a typical HRNet fuse path. */
class PoolResize extends Module {
  forward(x: Tensor): Tensor {
    const pooled = F.maxPool2d(x, 3, { stride: 2, padding: 1 });
    return F.interpolate(pooled, { size: [x.shape[2], x.shape[3]], mode: 'bilinear', alignCorners: false });
  }
}

function stack(): Sequential {
  const net = new Sequential(new Conv2d(3, 8, 3, { padding: 1 }), new BatchNorm2d(8), new ReLU(), new PoolResize());
  net.eval();
  return net;
}

const input = () => hostTensor('float32', [1, 3, 12, 10], new Random(3).normalArray(360));

describeOnBackends('tfjs engine memory', (h) => {
  it('an inference forward in engine.tidy leaves the tensor count unchanged', () => {
    const net = stack();
    const run = () =>
      h.engine.tidy(() => {
        const y = withEngine(h.engine, () => net.forward(h.engine.constant(input())));
        return h.engine.readSync(y);
      });
    const first = run(); // warm-up: uploads the parameters
    const before = tf.memory().numTensors;
    const second = run();
    expect(tf.memory().numTensors).to.equal(before);
    expect(Array.from(second.data as Float32Array)).to.deep.equal(Array.from(first.data as Float32Array));
  });

  it('engine.tidy keeps the tensors it returns, engine.dispose frees them', () => {
    const before = tf.memory().numTensors;
    const kept = h.engine.tidy(() => {
      const a = h.engine.constant(input());
      const b = withEngine(h.engine, () => F.relu(F.mul(a, 2)));
      return { out: [b], shape: b.shape };
    });
    expect(tf.memory().numTensors).to.equal(before + 1);
    expect(h.engine.readSync(kept.out[0]).shape).to.deep.equal([1, 3, 12, 10]);
    h.engine.dispose(kept);
    expect(tf.memory().numTensors).to.equal(before);
  });

  it('a training step (forward, backward) in tf.tidy leaves the tensor count unchanged', () => {
    const net = stack();
    net.train();
    const vars = net.parameters().map((p) => h.engine.variable(p));
    const step = () =>
      tf.tidy(() => {
        const { grads, value } = tf.variableGrads(() => {
          const y = withEngine(h.engine, () => net.forward(h.engine.constant(input())));
          return tf.mean(unwrap(y)) as tf.Scalar;
        }, vars);
        return [value, ...Object.values(grads)];
      });
    tf.dispose(step());
    const before = tf.memory().numTensors;
    const out = step();
    expect(out.length).to.equal(vars.length + 1);
    tf.dispose(out);
    expect(tf.memory().numTensors).to.equal(before);
    expect(new TfTensor(out[0]).shape).to.deep.equal([]);
  });
});
