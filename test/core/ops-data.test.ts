import { expect } from 'chai';
import * as F from '../../src/core/ops';
import { hostTensor } from '../../src/core/host-tensor';
import { Buffer, Parameter } from '../../src/core/parameter';
import { describeOnBackends } from './helpers/backends';
import { expectExact, expectTensor } from './helpers/expect-tensor';

describeOnBackends('op layer: data in and out', (h) => {
  it('constant: a rank-4 NCHW host tensor reads back unchanged and is stored NHWC', () => {
    const data = Array.from({ length: 24 }, (_, i) => i);
    const t = h.run(() => F.constant(hostTensor('float32', [1, 2, 3, 4], Float32Array.from(data))));
    expect(t.shape).to.deep.equal([1, 2, 3, 4]);
    expect(h.physicalShape(t)).to.deep.equal([1, 3, 4, 2]);
    expectTensor(h.read(t), [1, 2, 3, 4], data);
  });

  it('read (async) gives the same NCHW data as readSync', async () => {
    const data = Array.from({ length: 12 }, (_, i) => i * 0.5);
    const t = h.f32([1, 3, 2, 2], data);
    const r = await h.engine.read(t);
    expectTensor(r, [1, 3, 2, 2], data);
  });

  it('constant: int64 becomes int32, bool stays bool', () => {
    const i = h.run(() => F.constant(hostTensor('int64', [3], BigInt64Array.from([1n, -2n, 3n]))));
    expect(i.dtype).to.equal('int32');
    expectExact(h.read(i), [3], [1, -2, 3]);
    const b = h.run(() => F.constant(hostTensor('bool', [2], Uint8Array.from([1, 0]))));
    expect(b.dtype).to.equal('bool');
    expectExact(h.read(b), [2], [1, 0]);
  });

  it('scalar: float32 by default, int32 on request', () => {
    expectTensor(h.read(h.run(() => F.scalar(2.5))), [], [2.5]);
    const i = h.run(() => F.scalar(7, 'int32'));
    expect(i.dtype).to.equal('int32');
    expectExact(h.read(i), [], [7]);
  });

  it('param: a conv weight keeps its NCHW values, is cached, and follows host writes', () => {
    const p = new Parameter([2, 1, 1, 3], 'float32', true, Float32Array.from([1, 2, 3, 4, 5, 6]));
    const a = h.run(() => F.param(p));
    expect(a.shape).to.deep.equal([2, 1, 1, 3]);
    expectTensor(h.read(a), [2, 1, 1, 3], [1, 2, 3, 4, 5, 6]);
    expect(h.engine.variable(p)).to.equal(h.engine.variable(p));
    p.set(Float32Array.from([6, 5, 4, 3, 2, 1]));
    expectTensor(h.read(h.run(() => F.param(p))), [2, 1, 1, 3], [6, 5, 4, 3, 2, 1]);
  });

  it('param: an int64 buffer (num_batches_tracked) reads as int32', () => {
    const b = new Buffer([], 'int64', BigInt64Array.from([5n]));
    expectExact(h.read(h.run(() => F.param(b))), [], [5]);
  });
});
