import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportOnnx } from '../../src/apis/export';
import { hostTensor, numel } from '../../src/core/host-tensor';
import { Random } from '../../src/core/random';
import { tritonConfig } from '../../src/export/triton';
import { OnnxModel } from '../../src/runtime/onnx-model';
import { fixtureModel, loadFixtureCheckpoint } from '../fixtures/hrnet/helpers';
import { useTfjs } from '../engines/onnx/helpers/parity';

type PbValue = string | number | PbValue[] | PbMessage;
interface PbMessage {
  [field: string]: PbValue[];
}

/**
 * A small reader for the protobuf text format Triton configs use: `field: scalar`,
 * `field: [ list ]`, `field { message }` and `field [ { message }, ... ]`; every field maps
 * to the list of its occurrences.
 */
function parsePbtxt(text: string): PbMessage {
  const tokens = text.match(/"(?:[^"\\]|\\.)*"|[{}[\]:,]|[^\s{}[\]:,]+/g) ?? [];
  let i = 0;
  const scalar = (t: string): string | number => (t.startsWith('"') ? JSON.parse(t) : /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t);
  const value = (): PbValue => {
    const t = tokens[i++];
    if (t === '{') return message('}');
    if (t === '[') {
      const list: PbValue[] = [];
      while (tokens[i] !== ']') {
        list.push(value());
        if (tokens[i] === ',') i++;
      }
      i++;
      return list;
    }
    return scalar(t);
  };
  const message = (end: string | undefined): PbMessage => {
    const m: PbMessage = {};
    while (i < tokens.length && tokens[i] !== end) {
      const field = tokens[i++];
      if (tokens[i] === ':') i++;
      (m[field] ??= []).push(value());
    }
    i++;
    return m;
  };
  return message(undefined);
}

describe('Triton model repository', function () {
  let dir: string;
  before(useTfjs);
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hrdet-triton-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('config.pbtxt lists the real inputs and outputs of the exported model, with dynamic batching', async function () {
    const model = await fixtureModel('mmdet_tiny');
    await loadFixtureCheckpoint(model, 'mmdet_tiny', 'state_dict.pth');
    const r = await exportOnnx(model, { shape: [3, 64, 96], dynamic: true, triton: { dir, name: 'hrnetv2p_tiny', maxBatchSize: 4, preferredBatchSizes: [2, 4] } });
    const cfg = parsePbtxt(readFileSync(join(dir, 'hrnetv2p_tiny', 'config.pbtxt'), 'utf8'));
    expect(cfg.name).to.deep.equal(['hrnetv2p_tiny']);
    expect(cfg.platform).to.deep.equal(['onnxruntime_onnx']);
    expect(cfg.max_batch_size).to.deep.equal([4]);
    expect(cfg.dynamic_batching[0]).to.deep.equal({ preferred_batch_size: [[2, 4]], max_queue_delay_microseconds: [100] });

    // the model file in the repository is the export, and its session is the ground truth
    const bytes = readFileSync(join(dir, 'hrnetv2p_tiny', '1', 'model.onnx'));
    expect(Buffer.compare(bytes, Buffer.from(r.bytes))).to.equal(0);
    const session = await OnnxModel.load(bytes, { provider: 'cpu' });
    try {
      const entries = (key: string) => (cfg[key][0] as PbValue[]).map((e) => e as PbMessage);
      expect(entries('input').map((e) => e.name[0])).to.deep.equal([...session.inputNames]);
      expect(entries('output').map((e) => e.name[0])).to.deep.equal([...session.outputNames]);
      for (const e of [...entries('input'), ...entries('output')]) expect(e.data_type).to.deep.equal(['TYPE_FP32']);

      // dims (batch left out) must fit the shapes a real batched run produces
      const shape = [3, 3, 96, 64];
      const out = await session.run(hostTensor('float32', shape, new Random(1).normalArray(numel(shape))));
      const [inputEntry] = entries('input');
      expect(inputEntry.dims[0]).to.deep.equal([3, -1, -1]);
      for (const e of entries('output')) {
        const real = out.get(e.name[0] as string)!.shape;
        const dims = e.dims[0] as number[];
        expect(real.length, `${e.name[0]} rank`).to.equal(dims.length + 1);
        expect(real[0]).to.equal(3);
        dims.forEach((d, k) => expect(d === -1 || d === real[k + 1], `${e.name[0]} dim ${k}: config ${d}, real ${real[k + 1]}`).to.equal(true));
        expect(dims[0], 'channels are fixed').to.be.greaterThan(0);
      }
    } finally {
      await session.dispose();
    }
  });

  it('a static export gets batch dynamic for Triton; a fixed-batch graph cannot batch', async function () {
    const model = await fixtureModel('cls_tiny');
    await loadFixtureCheckpoint(model, 'cls_tiny', 'state_dict.pth');
    const r = await exportOnnx(model, { shape: [3, 64, 64], triton: { dir, name: 'cls' } });
    const cfg = parsePbtxt(readFileSync(join(dir, 'cls', 'config.pbtxt'), 'utf8'));
    expect(cfg.max_batch_size).to.deep.equal([8]);
    const output = (cfg.output[0] as PbMessage[]).find((e) => e.name[0] === 'output')!;
    expect(output.dims).to.deep.equal([[10]]);
    expect((cfg.input[0] as PbMessage[])[0].dims).to.deep.equal([[3, 64, 64]]);
    expect(r.inputs[0].dims.map((d) => (typeof d === 'number' ? d : 'sym'))).to.deep.equal(['sym', 3, 64, 64]);

    const fixed = [{ name: 'input', type: 'float32' as const, dims: [1, 3, 8, 8] }];
    expect(() => tritonConfig('m', fixed, fixed)).to.throw(/needs a dynamic batch axis/);
    const unbatched = parsePbtxt(tritonConfig('m', fixed, fixed, { maxBatchSize: 0 }));
    expect(unbatched.max_batch_size).to.deep.equal([0]);
    expect(unbatched.dynamic_batching).to.equal(undefined);
    expect((unbatched.input[0] as PbMessage[])[0].dims).to.deep.equal([[1, 3, 8, 8]]);
  });
});
