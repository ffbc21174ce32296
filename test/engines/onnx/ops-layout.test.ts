import { expect } from 'chai';
import * as F from '../../../src/core/ops';
import { expectParity, opsOf, randomTensor, useTfjs } from './helpers/parity';

const inp = (name: string, shape: number[], seed: number) => ({ name, value: randomTensor(shape, seed) });

describe('onnx tracer: layout ops match tfjs', function () {
  before(useTfjs);

  it('reshape and flatten (NCHW order)', async () => {
    const x = inp('x', [2, 3, 4, 5], 1);
    await expectParity((a) => F.flatten(a, 1), [x]);
    await expectParity((a) => F.reshape(a, [2, 12, 5, 1]), [x]);
    await expectParity((a) => F.reshape(a, [6, -1]), [x]);
  });

  it('transpose of a transpose becomes one node; an inverse pair disappears', async () => {
    const x = inp('x', [2, 3, 4, 5], 2);
    const t = await expectParity((a) => F.transpose(F.transpose(a, [0, 2, 3, 1]), [1, 0, 2, 3]), [x]);
    expect(opsOf(t.graph)).to.deep.equal(['Transpose']);
    const u = await expectParity((a) => F.relu(F.transpose(F.transpose(a, [0, 2, 3, 1]), [0, 3, 1, 2])), [x]);
    expect(opsOf(u.graph)).to.deep.equal(['Relu']);
  });

  it('concat along channels and batch', async () => {
    const a = inp('a', [2, 3, 4, 5], 3);
    const b = inp('b', [2, 2, 4, 5], 4);
    await expectParity((x, y) => F.concat([x, y, x], 1), [a, b]);
    await expectParity((x) => F.concat([x, F.neg(x)], 0), [a]);
  });

  it('slice and narrow', async () => {
    const x = inp('x', [2, 6, 5, 7], 5);
    await expectParity((a) => F.slice(a, [0, 1, 2, 0], [2, 3, -1, 4]), [x]);
    await expectParity((a) => F.narrow(a, 3, 2, 5), [x]);
    await expectParity((a) => F.narrow(a, 1, 0, 6), [x]);
  });

  it('tile', async () => {
    await expectParity((a) => F.tile(a, [1, 2, 3, 1]), [inp('x', [1, 2, 3, 2], 6)]);
    await expectParity((a) => F.tile(a, [2, 3]), [inp('x', [2, 3], 7)]);
  });
});
