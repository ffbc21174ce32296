import { expect } from 'chai';
import { ConvTranspose2d } from '../../src/nn/conv-transpose2d';
import * as F from '../../src/core/ops';
import { seed } from '../../src/core/random';
import { describeOnBackends } from '../core/helpers/backends';
import { expectTensor } from '../core/helpers/expect-tensor';

describe('nn.ConvTranspose2d', () => {
  it("has PyTorch's parameter names and shapes: weight [in, out/groups, kh, kw], bias [out]", () => {
    const m = new ConvTranspose2d(4, 6, [3, 2], { groups: 2, stride: 2 });
    expect([...m.stateDict()].map(([k, v]) => [k, [...v.shape]])).to.deep.equal([
      ['weight', [4, 3, 3, 2]],
      ['bias', [6]],
    ]);
    expect([...new ConvTranspose2d(2, 2, 2, { bias: false }).stateDict().keys()]).to.deep.equal(['weight']);
    expect(() => new ConvTranspose2d(3, 4, 2, { groups: 2 })).to.throw(/not divisible by groups=2/);
  });

  it("initialises as PyTorch: kaiming_uniform(a=sqrt(5)) over fan_in = out/groups * kh * kw, bias U(±1/sqrt(fan_in))", () => {
    seed(3);
    const m = new ConvTranspose2d(64, 8, 2);
    // fan_in = 8 * 2 * 2 = 32: weight bound = gain(leaky_relu, sqrt 5) * sqrt(3 / fan_in) = 1 / sqrt(fan_in)
    const bound = 1 / Math.sqrt(32);
    const w = m.weight.toHost().data as Float32Array;
    const b = m.bias!.toHost().data as Float32Array;
    const maxAbs = (a: Float32Array) => a.reduce((s, v) => Math.max(s, Math.abs(v)), 0);
    expect(maxAbs(w)).to.be.at.most(bound).and.at.least(0.9 * bound);
    expect(maxAbs(b)).to.be.at.most(bound);
    // uniform on ±bound: variance bound² / 3
    const variance = w.reduce((s, v) => s + v * v, 0) / w.length;
    expect(variance).to.be.closeTo((bound * bound) / 3, 0.1 * (bound * bound) / 3);
  });
});

describeOnBackends('nn.ConvTranspose2d forward', (h) => {
  it('calls conv_transpose2d with its stride, padding and output padding', () => {
    const m = new ConvTranspose2d(1, 1, 3, { stride: 2, padding: 1, outputPadding: 1 });
    m.weight.set(Float32Array.from({ length: 9 }, () => 1));
    m.bias!.set(Float32Array.from([0]));
    const y = h.run(() => m.forward(h.f32([1, 1, 2, 2], [1, 2, 3, 4])));
    const direct = h.run(() => F.convTranspose2d(h.f32([1, 1, 2, 2], [1, 2, 3, 4]), h.f32([1, 1, 3, 3], new Array(9).fill(1)), null, { stride: 2, padding: 1, outputPadding: 1 }));
    expect([...y.shape]).to.deep.equal([1, 1, 4, 4]);
    expectTensor(h.read(y), [1, 1, 4, 4], h.read(direct).data as Float32Array);
  });
});
