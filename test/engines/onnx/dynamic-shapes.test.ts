import { expect } from 'chai';
import { Conv2d } from '../../../src/nn/conv2d';
import { ConvTranspose2d } from '../../../src/nn/conv-transpose2d';
import { Linear } from '../../../src/nn/linear';
import * as F from '../../../src/core/ops';
import { seed } from '../../../src/core/random';
import type { Tensor } from '../../../src/core/tensor';
import { DimSpace } from '../../../src/engines/onnx/dim-space';
import * as D from '../../../src/engines/onnx/sym-dim';
import { expectClose, opsOf, randomTensor, runTfjs, runTraced, traceOps, useTfjs, type OpFn } from './helpers/parity';

const NCHW = ['batch', null, 'height', 'width'] as const;

/** Trace at `traced`, then run at every other shape and compare with tfjs at that shape. */
async function expectDynamic(fn: OpFn, traced: number[], others: number[][], tol = { atol: 1e-4, rtol: 1e-4 }) {
  const t = await traceOps(fn, [{ name: 'input', value: randomTensor(traced, 1), symbols: NCHW }]);
  try {
    for (const [k, shape] of [traced, ...others].entries()) {
      const x = randomTensor(shape, 10 + k);
      expectClose(await runTraced(t, [x], ['input']), runTfjs(fn, [x]), tol);
    }
  } finally {
    await t.model.dispose();
  }
  return t;
}

describe('onnx tracer: dynamic batch, height and width', function () {
  before(useTfjs);
  before(() => seed(7));

  it('a strided conv stack runs at other batch sizes and odd sizes', async () => {
    const c1 = new Conv2d(3, 4, 3, { stride: 2, padding: 1 });
    const c2 = new Conv2d(4, 5, 3, { stride: 2, padding: 0, dilation: 2 });
    const fn = (x: Tensor) => F.maxPool2d(F.relu(c2.forward(F.relu(c1.forward(x)))), 2, { ceilMode: true });
    const t = await expectDynamic(fn, [1, 3, 32, 48], [
      [2, 3, 40, 24],
      [3, 3, 33, 47],
    ]);
    expect(t.graph.outputs[0].dims.map(D.dimToString)).to.deep.equal(['batch', '5', 'pool_ceil(floor((floor((height-1)/2)+1-5)/2)+1,k2,s2,p0)', 'pool_ceil(floor((floor((width-1)/2)+1-5)/2)+1,k2,s2,p0)']);
  });

  it('a deconv (k3 s2 p1, output_padding 1) after a strided conv keeps batch, height and width symbolic', async () => {
    const conv = new Conv2d(3, 4, 3, { stride: 2, padding: 1 });
    const deconv = new ConvTranspose2d(4, 2, 3, { stride: 2, padding: 1, outputPadding: 1 });
    const fn = (x: Tensor) => deconv.forward(F.relu(conv.forward(x)));
    const t = await expectDynamic(fn, [1, 3, 16, 12], [
      [2, 3, 9, 21],
      [1, 3, 28, 28],
    ]);
    expect(t.graph.outputs[0].dims.map(D.dimToString)[0]).to.equal('batch');
    expect(t.graph.outputs[0].dims.map(D.dimToString)[2]).to.match(/height/);
  });

  it('FPN top-down: nearest to the lateral size reads that size with Shape, exact at sizes not divisible by the stride', async () => {
    const down1 = new Conv2d(3, 4, 3, { stride: 2, padding: 1 });
    const down2 = new Conv2d(4, 4, 3, { stride: 2, padding: 1 });
    const fn = (x: Tensor) => {
      const c2 = down1.forward(x);
      const c3 = down2.forward(c2);
      return F.add(c2, F.interpolate(c3, { size: [c2.shape[2], c2.shape[3]], mode: 'nearest' }));
    };
    const t = await expectDynamic(fn, [1, 3, 64, 64], [
      [1, 3, 50, 70],
      [2, 3, 37, 29],
    ]);
    expect(opsOf(t.graph)).to.include('Shape');
    expect(t.tracer.warnings).to.deep.equal([]);
  });

  it('HRNet-seg style: bilinear to branch-0 size, concat, at any size', async () => {
    const b1 = new Conv2d(3, 2, 3, { stride: 2, padding: 1 });
    const b2 = new Conv2d(2, 2, 3, { stride: 2, padding: 1 });
    const fn = (x: Tensor) => {
      const x0 = b1.forward(x);
      const x1 = b2.forward(x0);
      const up = F.interpolate(x1, { size: [x0.shape[2], x0.shape[3]], mode: 'bilinear', alignCorners: false });
      return F.concat([x0, up], 1);
    };
    await expectDynamic(fn, [1, 3, 32, 48], [[1, 3, 45, 31]]);
  });

  it('HRNet fuse style: a scale-factor upsample stays a scale (no Shape ops), valid at other multiples', async () => {
    const down = new Conv2d(3, 3, 3, { stride: 2, padding: 1 });
    const fn = (x: Tensor) => F.add(x, F.interpolate(down.forward(x), { scaleFactor: 2, mode: 'nearest' }));
    const t = await expectDynamic(fn, [1, 3, 16, 24], [[2, 3, 32, 8]]);
    expect(opsOf(t.graph)).to.not.include('Shape');
  });

  it('classifier head: a whole-map average pool and flatten keep the batch dynamic', async () => {
    const conv = new Conv2d(3, 6, 3, { stride: 2, padding: 1 });
    const fc = new Linear(6, 4);
    const fn = (x: Tensor) => {
      const y = F.relu(conv.forward(x));
      const pooled = F.avgPool2d(y, [y.shape[2], y.shape[3]]);
      return fc.forward(F.flatten(pooled, 1));
    };
    const t = await expectDynamic(fn, [1, 3, 16, 16], [[3, 3, 20, 12]]);
    expect(opsOf(t.graph)).to.include('GlobalAveragePool');
  });

  it('a resize target two different sizes could explain is reported', async () => {
    const conv = new Conv2d(3, 3, 3, { stride: 2, padding: 1 });
    const fn = (x: Tensor) => {
      const a = conv.forward(x); // ceil(H/2)
      const b = F.maxPool2d(x, 2); // floor(H/2)
      return F.add(b, F.interpolate(F.maxPool2d(a, 2), { size: [a.shape[2], a.shape[3]], mode: 'nearest' }));
    };
    const t = await traceOps(fn, [{ name: 'input', value: randomTensor([1, 3, 16, 16], 3), symbols: NCHW }]);
    await t.model.dispose();
    expect(t.tracer.warnings.join('\n')).to.match(/matches tensors of different sizes/);
  });
});

describe('DimSpace: which symbolic sizes are interchangeable', () => {
  const H = D.sym('height');
  const convS2 = D.window(H, 3, 2, 1, 1, false); // floor((H-1)/2)+1 = ceil(H/2)
  const ceilHalf = D.window(H, 1, 2, 0, 0, true); // ceil mode 1x1 stride-2 pool = ceil(H/2)
  const floorHalf = D.window(H, 2, 2, 0, 0, false); // floor(H/2)

  it('expressions equal at every size are equivalent; ones that differ at odd sizes are not', () => {
    const s = new DimSpace();
    s.addSymbol('height', 64);
    expect(s.value(convS2)).to.equal(32);
    expect(s.value(floorHalf)).to.equal(32);
    expect(s.equivalent(convS2, ceilHalf)).to.equal(true);
    expect(s.equivalent(convS2, floorHalf)).to.equal(false);
  });

  it('a requirement the graph imposes (here: even sizes) makes them interchangeable', () => {
    const s = new DimSpace();
    s.addSymbol('height', 64);
    s.require(D.scale(floorHalf, 2), H);
    expect(s.equivalent(convS2, floorHalf)).to.equal(true);
  });
});
