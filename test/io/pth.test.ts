import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { HostTensor } from '../../src/core/host-tensor';
import { loadCheckpoint } from '../../src/io/checkpoint';
import { halfToFloat, floatToHalf } from '../../src/io/element-types';
import { gather, isContiguous, readPth } from '../../src/io/pth';

/**
 * Files written by PyTorch 1.13 itself (test/fixtures/io/make_pth_fixtures.py) in both formats:
 * every storage type, strided and shared views, 0-d and empty tensors, a module state_dict
 * (OrderedDict with `_metadata`), and an mmdetection-style training checkpoint.
 */
const DIR = resolve(__dirname, '../../../test/fixtures/io');

interface Expected {
  dtype: string;
  shape: number[];
  values: (number | string)[];
}
const EXPECTED = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf-8')) as Record<
  string,
  { state_dict: Record<string, Expected>; meta?: Record<string, unknown>; param?: Expected }
>;

function plain(t: HostTensor): Expected {
  const values = t.data instanceof BigInt64Array ? [...t.data].map(String) : [...(t.data as ArrayLike<number> & Iterable<number>)];
  return { dtype: t.dtype, shape: [...t.shape], values };
}

function expectTensors(got: Map<string, HostTensor> | Record<string, HostTensor>, want: Record<string, Expected>): void {
  const entries = got instanceof Map ? [...got] : Object.entries(got);
  expect(entries.map(([k]) => k)).to.deep.equal(Object.keys(want));
  for (const [k, t] of entries) expect(plain(t), k).to.deep.equal(want[k]);
}

describe('io: .pth files written by PyTorch', () => {
  for (const suffix of ['', '_legacy']) {
    const kind = suffix ? 'legacy' : 'zip';

    it(`${kind}: every storage type converts to hrdet dtypes with the values PyTorch reports`, async () => {
      const { stateDict } = await loadCheckpoint(join(DIR, `dtypes${suffix}.pth`));
      expectTensors(stateDict, EXPECTED.dtypes.state_dict);
    });

    it(`${kind}: strided, offset, expanded and shared views come out C-contiguous`, async () => {
      const { stateDict } = await loadCheckpoint(join(DIR, `views${suffix}.pth`));
      expectTensors(stateDict, EXPECTED.views.state_dict);
      // hand-checked: cube[:, 1:, ::2] of arange(24).view(2,3,4)
      expect([...stateDict.get('sliced')!.data]).to.deep.equal([4, 6, 8, 10, 16, 18, 20, 22]);
    });

    it(`${kind}: a module state_dict (OrderedDict carrying _metadata) loads in order`, async () => {
      const { stateDict } = await loadCheckpoint(join(DIR, `module${suffix}.pth`));
      expectTensors(stateDict, EXPECTED.module.state_dict);
      expect(stateDict.get('1.num_batches_tracked')!.data).to.deep.equal(BigInt64Array.from([42n]));
    });

    it(`${kind}: a training checkpoint unwraps to state_dict (module. stripped) and meta`, async () => {
      const ckpt = await loadCheckpoint(join(DIR, `wrapper${suffix}.pth`));
      expectTensors(ckpt.stateDict, EXPECTED.wrapper.state_dict);
      const meta = { ...ckpt.meta, big: String(ckpt.meta.big) };
      expect(meta).to.deep.equal(EXPECTED.wrapper.meta);
      expect(ckpt.meta.big).to.equal(2n ** 70n);
    });

    it(`${kind}: readPth returns the whole object, parameters and optimizer state included`, async () => {
      const all = (await readPth(join(DIR, `wrapper${suffix}.pth`))) as Record<string, unknown>;
      expect(Object.keys(all)).to.deep.equal(['meta', 'state_dict', 'optimizer', 'extra_param', 'best_score']);
      expect(plain(all.extra_param as HostTensor)).to.deep.equal(EXPECTED.wrapper.param);
      const opt = all.optimizer as { state: Record<string, { momentum_buffer: HostTensor }>; param_groups: unknown[] };
      expect(plain(opt.state['0'].momentum_buffer)).to.deep.equal({ dtype: 'float32', shape: [2, 3], values: [1, 1, 1, 1, 1, 1] });
      expect(opt.param_groups).to.deep.equal([{ lr: 0.1, params: [0, 1] }]);
    });
  }

  it('zip with deflated entries reads like the stored original', async () => {
    const { stateDict } = await loadCheckpoint(join(DIR, 'views_deflated.pth'));
    expectTensors(stateDict, EXPECTED.views.state_dict);
  });

  it('zip with a big-endian byteorder record is byte-swapped', async () => {
    const { stateDict } = await loadCheckpoint(join(DIR, 'dtypes_bigendian.pth'));
    expectTensors(stateDict, EXPECTED.dtypes.state_dict);
  });
});

describe('io: strided gather and half floats', () => {
  it('isContiguous ignores the strides of size-1 dimensions', () => {
    expect(isContiguous([2, 3], [3, 1])).to.equal(true);
    expect(isContiguous([2, 1, 3], [3, 99, 1])).to.equal(true);
    expect(isContiguous([2, 3], [1, 2])).to.equal(false);
    expect(isContiguous([], [])).to.equal(true);
  });

  it('gather walks a transposed view in row-major order', () => {
    // [[0,1,2],[3,4,5]] transposed: shape [3,2], stride [1,3]
    const out = gather(Float32Array.from([0, 1, 2, 3, 4, 5]), [3, 2], [1, 3], 6);
    expect([...out]).to.deep.equal([0, 3, 1, 4, 2, 5]);
    const bigs = gather(BigInt64Array.from([5n, 6n]), [2, 2], [1, 0], 4);
    expect([...bigs]).to.deep.equal([5n, 5n, 6n, 6n]);
  });

  it('half floats: normals, subnormals, signed zero, infinities, NaN', () => {
    expect(halfToFloat(0x3c00)).to.equal(1);
    expect(halfToFloat(0xc000)).to.equal(-2);
    expect(halfToFloat(0x7bff)).to.equal(65504);
    expect(halfToFloat(0x0001)).to.equal(2 ** -24);
    expect(Object.is(halfToFloat(0x8000), -0)).to.equal(true);
    expect(halfToFloat(0x7c00)).to.equal(Infinity);
    expect(halfToFloat(0xfc00)).to.equal(-Infinity);
    expect(halfToFloat(0x7e00)).to.be.NaN;
    expect(floatToHalf(1)).to.equal(0x3c00);
    expect(floatToHalf(65520)).to.equal(0x7c00); // rounds to infinity
    expect(floatToHalf(2 ** -25)).to.equal(0); // ties to even
    expect(floatToHalf(0.1)).to.equal(0x2e66);
  });
});
