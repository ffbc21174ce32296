import { expect } from 'chai';
import { hostTensor } from '../../src/core/host-tensor';
import { Scale } from '../../src/nn/scale';
import { describeOnBackends } from '../core/helpers/backends';
import { expectTensor } from '../core/helpers/expect-tensor';

describe('nn.Scale', () => {
  it("holds mmcv's 0-d `scale` parameter, trainable, starting at the given value", () => {
    const s = new Scale(0.5);
    expect([...s.stateDict()].map(([k, v]) => [k, [...v.shape], Array.from(v.data as Float32Array)])).to.deep.equal([['scale', [], [0.5]]]);
    expect(s.scale.requiresGrad).to.equal(true);
    s.loadStateDict(new Map([['scale', hostTensor('float32', [], Float32Array.from([2]))]]), { strict: true });
    expect(Array.from(s.scale.data as Float32Array)).to.deep.equal([2]);
  });
});

describeOnBackends('nn.Scale forward', (h) => {
  it('Scale multiplies by its parameter', () => {
    expectTensor(h.read(h.run(() => new Scale(1.5).forward(h.f32([1, 3], [1, 2, -4])))), [1, 3], [1.5, 3, -6]);
  });
});
