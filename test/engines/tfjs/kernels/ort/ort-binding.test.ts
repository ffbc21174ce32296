/**
 * The synchronous route into onnxruntime-node: the pinned version, the private binding it
 * relies on, a run that returns its outputs rather than a Promise, outputs written in place.
 * A dependency upgrade that changes any of it must fail here, not fall back silently.
 */
import { expect } from 'chai';
import { checkSyncBinding, installedOrtVersion, ortTensor, PINNED_ORT_VERSION, SyncSession } from '../../../../../src/engines/tfjs/kernels/ort/ort-binding';
import { OpModel } from '../../../../../src/engines/tfjs/kernels/ort/op-model';
import { SessionCache } from '../../../../../src/engines/tfjs/kernels/ort/session-cache';

function reluModel(n: number) {
  const m = new OpModel();
  return m.encode(m.node('Relu', [m.input('x', [n])], [n]));
}

describe('ort kernels: the synchronous onnxruntime binding', () => {
  it(`onnxruntime-node is the pinned ${PINNED_ORT_VERSION} and its native binding is usable`, () => {
    expect(installedOrtVersion()).to.equal(PINNED_ORT_VERSION);
    expect(checkSyncBinding()).to.equal(null);
  });

  it('run returns the outputs themselves, before the next statement', () => {
    const { bytes, output } = reluModel(4);
    const s = new SyncSession(bytes, { executionProviders: ['cpu'] });
    const out = s.run({ x: ortTensor('float32', Float32Array.from([-1, 2, -3, 4]), [4]) }, { [output]: null });
    expect(typeof (out as { then?: unknown }).then).to.equal('undefined');
    expect(Array.from(out[output].data as Float32Array)).to.deep.equal([0, 2, 0, 4]);
    s.dispose();
  });

  it('an output given as a tensor is written in place; inputs may be views at an offset', () => {
    const { bytes, output } = reluModel(3);
    const s = new SyncSession(bytes, { executionProviders: ['cpu'] });
    const heap = Float32Array.from([9, -1, 5, -7, 0, 0, 0]);
    const target = heap.subarray(4, 7);
    s.run({ x: ortTensor('float32', heap.subarray(1, 4), [3]) }, { [output]: ortTensor('float32', target, [3]) });
    expect(Array.from(heap)).to.deep.equal([9, -1, 5, -7, 0, 5, 0]);
    s.dispose();
    expect(() => s.run({}, {})).to.throw(/after it was released/);
  });

  it('the session cache keeps at most its capacity, releasing the least recently used', () => {
    const cache = new SessionCache(2);
    const a = cache.get('a', () => reluModel(1));
    cache.get('b', () => reluModel(2));
    expect(cache.get('a', () => reluModel(1))).to.equal(a); // a hit, and now the most recent
    const b = cache.get('b', () => reluModel(2));
    cache.get('c', () => reluModel(3)); // releases a
    expect(cache.size).to.equal(2);
    expect(cache.keys()).to.deep.equal(['b', 'c']);
    expect(cache.builds).to.equal(3);
    expect(() => a.session.run({}, {})).to.throw(/after it was released/);
    expect(cache.get('b', () => reluModel(2))).to.equal(b);
    cache.clear();
    expect(cache.size).to.equal(0);
  });
});
