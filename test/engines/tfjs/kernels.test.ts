/** hrdet's tfjs kernels: wasm data movement, the cpu bridge, resize gradients, registration. */
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, activeBackend } from '../../../src/engines/tfjs/backend';
import { installTfjsExtensions } from '../../../src/engines/tfjs/extensions';
import { GRADIENTS } from '../../../src/engines/tfjs/gradients/register-gradients';
import { copyBox, copyStrided } from '../../../src/engines/tfjs/kernels/wasm-slice';
import { installedKernels } from '../../../src/engines/tfjs/kernels/kernel-registry';
import { opsKernel } from '../../../src/engines/tfjs/kernels/ops-kernel';
import { describeOnBackends } from '../../core/helpers/backends';

/** Row-major index math: element (i0, i1, ...) of a tensor of `shape`. */
function at(shape: number[], idx: number[]): number {
  return idx.reduce((flat, v, k) => flat * shape[k] + v, 0);
}

/** Every index tuple of a shape, row-major. */
function* indices(shape: number[]): Generator<number[]> {
  const n = shape.reduce((a, b) => a * b, 1);
  for (let f = 0; f < n; f++) {
    const idx: number[] = [];
    let r = f;
    for (let k = shape.length - 1; k >= 0; k--) {
      idx.unshift(r % shape[k]);
      r = Math.floor(r / shape[k]);
    }
    yield idx;
  }
}

/** Reference strided slice: out[i] = x[begin + i * step]. */
function refStrided(x: Float32Array, shape: number[], begin: number[], step: number[], size: number[]): Float32Array {
  const out: number[] = [];
  for (const i of indices(size)) out.push(x[at(shape, i.map((v, k) => begin[k] + v * step[k]))]);
  return Float32Array.from(out);
}

const iota = (n: number) => Float32Array.from({ length: n }, (_, i) => i);

describe('tfjs kernels: host copies', () => {
  it('copyBox copies boxes with short and long runs and merged trailing axes', () => {
    const shape = [3, 4, 5, 40];
    const x = iota(2400);
    for (const [begin, size] of [
      [[1, 1, 2, 3], [2, 2, 3, 5]],
      [[0, 1, 0, 0], [3, 2, 5, 40]],
      [[2, 0, 0, 0], [1, 4, 5, 40]],
      [[0, 0, 4, 10], [3, 4, 1, 30]],
    ]) {
      const out = new Float32Array(size.reduce((a, b) => a * b, 1));
      copyBox(x, shape, begin, size, out);
      expect(Array.from(out)).to.deep.equal(Array.from(refStrided(x, shape, begin, [1, 1, 1, 1], size)));
    }
  });

  it('copyStrided takes positive and negative steps', () => {
    const shape = [4, 6, 3];
    const x = iota(72);
    for (const [begin, step, size] of [
      [[0, 1, 0], [2, 2, 1], [2, 3, 3]],
      [[3, 5, 2], [-1, -2, -1], [4, 3, 3]],
      [[1, 0, 2], [1, 3, -2], [3, 2, 2]],
    ]) {
      const out = new Float32Array(size.reduce((a, b) => a * b, 1));
      copyStrided(x, shape, begin, step, size, out);
      expect(Array.from(out)).to.deep.equal(Array.from(refStrided(x, shape, begin, step, size)));
    }
  });
});

describeOnBackends('tfjs kernels', () => {
  it('Slice, SplitV, StridedSlice and Reverse move the right elements', () => {
    const shape = [2, 5, 6, 3];
    const data = iota(180);
    const x = tf.tensor(data, shape);
    expect(Array.from(tf.slice(x, [1, 2, 1, 0], [1, 3, 4, 3]).dataSync())).to.deep.equal(
      Array.from(refStrided(data, shape, [1, 2, 1, 0], [1, 1, 1, 1], [1, 3, 4, 3])),
    );
    const [a, b] = tf.split(x, [2, 4], 2);
    expect(Array.from(b.dataSync())).to.deep.equal(Array.from(refStrided(data, shape, [0, 0, 2, 0], [1, 1, 1, 1], [2, 5, 4, 3])));
    expect(a.shape).to.deep.equal([2, 5, 2, 3]);
    const s = tf.stridedSlice(x, [0, 1, 0, 0], [2, 5, 6, 3], [1, 2, 3, 1]);
    expect(s.shape).to.deep.equal([2, 2, 2, 3]);
    expect(Array.from(s.dataSync())).to.deep.equal(Array.from(refStrided(data, shape, [0, 1, 0, 0], [1, 2, 3, 1], [2, 2, 2, 3])));
    const r = tf.reverse(x, [1, 2]);
    expect(Array.from(r.dataSync())).to.deep.equal(Array.from(refStrided(data, shape, [0, 4, 5, 0], [1, -1, -1, 1], shape)));
    const ints = tf.tensor(Int32Array.from(data), shape, 'int32');
    expect(Array.from(tf.slice(ints, [0, 4, 5, 0], [2, 1, 1, 3]).dataSync())).to.deep.equal([87, 88, 89, 177, 178, 179]);
  });

  it('UnsortedSegmentSum (gather gradient) sums rows by segment', () => {
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]);
    const out = tf.unsortedSegmentSum(x, tf.tensor1d([2, 0, 2, 1], 'int32'), 4);
    expect(out.arraySync()).to.deep.equal([[3, 4], [7, 8], [6, 8], [0, 0]]);
  });

  it('ResizeBilinearGrad honours half-pixel centres', () => {
    // in 2 → out 4, align_corners=False: sources -0.25, 0.25, 0.75, 1.25
    const images = tf.zeros([1, 2, 1, 1]);
    const dy = tf.tensor4d([1, 2, 3, 4], [1, 4, 1, 1]);
    const dx = tf.engine().runKernel(tf.ResizeBilinearGrad, { images, dy }, { alignCorners: false, halfPixelCenters: true }) as tf.Tensor;
    expect(Array.from(dx.dataSync())).to.deep.equal([1 + 0.75 * 2 + 0.25 * 3, 0.25 * 2 + 0.75 * 3 + 4]);
  });

  it('ResizeNearestNeighborGrad reads dy with its own batch stride', () => {
    const images = tf.zeros([2, 1, 2, 1]);
    const dy = tf.tensor4d([1, 2, 3, 4, 10, 20, 30, 40], [2, 1, 4, 1]);
    const dx = tf.engine().runKernel(tf.ResizeNearestNeighborGrad, { images, dy }, { alignCorners: false, halfPixelCenters: false }) as tf.Tensor;
    expect(Array.from(dx.dataSync())).to.deep.equal([3, 7, 30, 70]);
  });

  it('a kernel written with ops takes bare TensorInfo inputs and leaks nothing', () => {
    const double = opsKernel(({ x }) => tf.mul(x, 2));
    const x = tf.tensor1d([1, 2, 3]);
    const backend = tf.backend();
    const before = { tensors: tf.memory().numTensors, data: backend.numDataIds() };
    const info = double({ inputs: { x: { dataId: x.dataId, shape: x.shape, dtype: x.dtype } }, backend, attrs: {} }) as tf.TensorInfo;
    const out = tf.engine().makeTensorFromTensorInfo(info);
    expect(Array.from(out.dataSync())).to.deep.equal([2, 4, 6]);
    out.dispose();
    expect(tf.memory().numTensors).to.equal(before.tensors);
    expect(backend.numDataIds()).to.equal(before.data);
  });

  it('a conv backward releases all of its backend memory', () => {
    const x = tf.randomNormal([1, 12, 10, 4]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 4, 5]) as tf.Tensor4D;
    const step = () => tf.tidy(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')))([x, w]));
    tf.dispose(step());
    const before = tf.backend().numDataIds();
    tf.dispose(step());
    expect(tf.backend().numDataIds()).to.equal(before);
  });
});

describe('tfjs kernels: registration', () => {
  it('wasm has the gradient kernels it lacked, and every hrdet gradient is registered', async () => {
    const previous = activeBackend()?.name;
    await initBackend('wasm');
    const kernels = installedKernels();
    for (const name of ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'UnsortedSegmentSum', 'DepthwiseConv2dNativeBackpropFilter']) {
      expect(kernels).to.include(`wasm/${name}`);
      expect(tf.getKernel(name, 'wasm'), name).to.not.equal(undefined);
    }
    for (const g of GRADIENTS) expect(tf.getGradient(g.kernelName), g.kernelName).to.not.equal(undefined);
    if (previous) await initBackend(previous);
  });

  it("hrdet's gradients win over ones registered later (the @tensorflow/tfjs bundle's)", () => {
    const mine = tf.getGradient(tf.Conv2D);
    tf.registerGradient({ kernelName: tf.Conv2D, gradFunc: () => ({}) });
    installTfjsExtensions();
    expect(tf.getGradient(tf.Conv2D)).to.equal(mine);
  });
});
