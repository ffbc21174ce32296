import { expect } from 'chai';
import { hostTensor } from '../../../src/core/host-tensor';
import * as F from '../../../src/core/ops';
import { expectParity, opsOf, randomTensor, tensorOf, useTfjs } from './helpers/parity';

const inp = (name: string, shape: number[], seed: number, scale = 1) => ({ name, value: randomTensor(shape, seed, scale) });
const positive = (name: string, shape: number[], seed: number) => ({
  name,
  value: hostTensor('float32', shape, Float32Array.from(randomTensor(shape, seed).data as Float32Array, (x) => Math.abs(x) + 0.1)),
});

describe('onnx tracer: elementwise and reduction ops match tfjs', function () {
  before(useTfjs);

  it('unary ops', async () => {
    const x = inp('x', [2, 3, 4, 5], 1, 2);
    for (const f of [F.relu, F.sigmoid, F.exp, F.neg, F.abs, F.floor, F.ceil, F.tanh, F.softplus]) await expectParity((a) => f(a), [x]);
    const p = positive('x', [2, 3, 4, 5], 2);
    await expectParity((a) => F.log(a), [p]);
    await expectParity((a) => F.sqrt(a), [p]);
  });

  it('binary ops broadcast NumPy-style, with scalars on either side', async () => {
    const a = inp('a', [2, 3, 4, 5], 3);
    const b = inp('b', [3, 1, 5], 4);
    for (const f of [F.add, F.sub, F.mul, F.maximum, F.minimum]) await expectParity((x, y) => f(x, y), [a, b]);
    await expectParity((x, y) => F.div(x, y), [a, positive('b', [1, 3, 1, 1], 5)]);
    await expectParity((x) => F.sub(2.5, F.mul(x, 3)), [a]);
    await expectParity((x) => F.pow(x, 2), [positive('x', [4, 3], 6)]);
  });

  it('comparisons, where and clip', async () => {
    const a = inp('a', [2, 3, 4], 7);
    const b = inp('b', [3, 4], 8);
    for (const f of [F.greater, F.greaterEqual, F.less, F.lessEqual]) await expectParity((x, y) => f(x, y), [a, b]);
    await expectParity((x) => F.equal(F.floor(x), 0), [a]);
    await expectParity((x, y) => F.where(F.greater(x, y), x, y), [a, b]);
    await expectParity((x) => F.clip(x, -0.5, 0.75), [a]);
  });

  it('casts between float, int and bool; a cast to the same storage type adds no node', async () => {
    const x = inp('x', [3, 4], 9, 5);
    await expectParity((a) => F.cast(a, 'int32'), [x]);
    await expectParity((a) => F.cast(F.cast(a, 'bool'), 'float32'), [x]);
    const ints = { name: 'i', value: tensorOf('int32', [5], [3, -2, 0, 7, 1]) };
    const t = await expectParity((i) => F.add(F.cast(i, 'float32'), 0.5), [ints]);
    expect(opsOf(t.graph)).to.deep.equal(['Cast', 'Add']);
  });

  it('softmax along any axis', async () => {
    const x = inp('x', [2, 3, 4, 5], 10, 3);
    for (const axis of [1, 2, -1]) await expectParity((a) => F.softmax(a, axis), [x]);
    for (const axis of [1, -1]) await expectParity((a) => F.logSoftmax(a, axis), [x], { atol: 1e-5 });
  });

  it('reductions with and without kept dims, and argmax', async () => {
    const x = inp('x', [2, 3, 4, 5], 11);
    for (const f of [F.sum, F.mean, F.max, F.min]) {
      await expectParity((a) => f(a, [2, 3], true), [x], { atol: 1e-5 });
      await expectParity((a) => f(a, [0, 2, 3]), [x], { atol: 1e-5 });
      await expectParity((a) => f(a, 1), [x], { atol: 1e-5 });
    }
    await expectParity((a) => F.argmax(a, 1), [x]);
    await expectParity((a) => F.argmax(a, -1), [x]);
  });

  it('reductions use the axes input from opset 18', async () => {
    const x = inp('x', [2, 3, 4], 12);
    const t = await expectParity((a) => F.mean(a, [1]), [x], {}, { opset: 18 });
    expect(t.graph.nodes[0].attrs.axes).to.equal(undefined);
    expect(t.graph.nodes[0].inputs).to.have.length(2);
  });

  it('moments (training-mode batch statistics)', async () => {
    const x = inp('x', [2, 3, 4, 5], 13);
    await expectParity((a) => {
      const m = F.moments(a, [0, 2, 3]);
      return [m.mean, m.variance];
    }, [x]);
  });
});
