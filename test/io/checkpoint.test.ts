import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileError } from '../../src/core/errors';
import { hostTensor, type HostTensor } from '../../src/core/host-tensor';
import { hrdetVersion, loadCheckpoint, saveCheckpoint } from '../../src/io/checkpoint';
import { OFFICIAL_HRNET_KEY_MAPS } from '../../src/models/backbones/hrnet/official-key-map';
import { readSafetensors, encodeSafetensors } from '../../src/io/safetensors';
import { buildLegacyPth, buildZipPth } from './archive-builder';
import { f32Bytes, PickleBuilder } from './pickle-builder';

describe('io: loadCheckpoint / saveCheckpoint', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'hrdet-ckpt-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const file = (bytes: Uint8Array, ext = '.pth') => {
    const p = join(dir, `f${n++}${ext}`);
    writeFileSync(p, bytes);
    return p;
  };
  const values = (t: HostTensor | undefined) => [...(t!.data as Float32Array)];

  // storage '0' = [0..5]; 'w' is its transpose viewed as 2x3 with stride [1, 2], 's' a 0-d view at offset 4
  const sixFloats = f32Bytes([0, 1, 2, 3, 4, 5]);
  const viewsPickle = (legacy = false) =>
    PickleBuilder.stateDict([
      { name: 'w', key: '0', numel: 6, size: [2, 3], stride: [1, 2], legacy },
      { name: 's', key: '0', numel: 6, size: [], offset: 4, legacy },
    ]);

  it('detects the format by content, whatever the file is called', async () => {
    const zip = await loadCheckpoint(file(buildZipPth(viewsPickle(), { '0': sixFloats }), '.safetensors'));
    expect(zip.format).to.equal('pth-zip');
    const legacy = await loadCheckpoint(file(buildLegacyPth(viewsPickle(true), [{ key: '0', count: 6, data: sixFloats }]), '.bin'));
    expect(legacy.format).to.equal('pth-legacy');
    const st = await loadCheckpoint(file(encodeSafetensors({ a: hostTensor('float32', [1], Float32Array.from([7])) }), '.pth'));
    expect(st.format).to.equal('safetensors');
    expect(values(st.stateDict.get('a'))).to.deep.equal([7]);
  });

  it('zip64 archives (sizes and offsets in extra fields, zip64 end records)', async () => {
    const { stateDict } = await loadCheckpoint(file(buildZipPth(viewsPickle(), { '0': sixFloats }, { zip64: true })));
    expect(values(stateDict.get('w'))).to.deep.equal([0, 2, 4, 1, 3, 5]);
    expect(stateDict.get('s')!.shape).to.deep.equal([]);
    expect(values(stateDict.get('s'))).to.deep.equal([4]);
  });

  it('deflated zip entries', async () => {
    const { stateDict } = await loadCheckpoint(file(buildZipPth(viewsPickle(), { '0': sixFloats }, { deflate: true })));
    expect(values(stateDict.get('w'))).to.deep.equal([0, 2, 4, 1, 3, 5]);
  });

  it('legacy storage views (view_key, offset, size) of very old files', async () => {
    // storage '0' has 6 floats; the tensor lives in the view [2, 5) of it
    const p = new PickleBuilder().proto(2).orderedDict().mark().str('v').global('torch._utils', '_rebuild_tensor_v2').mark();
    p.mark().str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(6).mark().str('view1').int(2).int(3).tuple().tuple().binpersid();
    p.int(1).ints([2]).ints([1]).bool(false).orderedDict().tuple().reduce().setitems().stop();
    const { stateDict } = await loadCheckpoint(file(buildLegacyPth(p.bytes(), [{ key: '0', count: 6, data: sixFloats }])));
    expect(values(stateDict.get('v'))).to.deep.equal([3, 4]);
  });

  it('legacy files that grew their pickles past the first read window still load', async () => {
    // > 1 MiB of pickle before the storages: many long keys
    const tensors = Array.from({ length: 300 }, (_, i) => ({ name: `${'k'.repeat(4000)}.${i}`, key: '0', numel: 6, size: [6], legacy: true }));
    const { stateDict } = await loadCheckpoint(file(buildLegacyPth(PickleBuilder.stateDict(tensors), [{ key: '0', count: 6, data: sixFloats }])));
    expect(stateDict.size).to.equal(300);
    expect(values(stateDict.get(`${'k'.repeat(4000)}.299`))).to.deep.equal([0, 1, 2, 3, 4, 5]);
  });

  it('unwraps {state_dict, meta}, {model}, strips module. and ignores state_dict_ema', async () => {
    const sd = (prefix: string, value: number) => {
      const p = new PickleBuilder().orderedDict().mark();
      p.str(`${prefix}conv.weight`).tensor({ key: String(value), numel: 1, size: [1] });
      return p.setitems();
    };
    const p = new PickleBuilder().proto(2).emptyDict().mark();
    p.str('meta').emptyDict().mark().str('epoch').int(3).str('CLASSES').str('a').str('b').tuple2().setitems();
    p.str('state_dict_ema');
    p.raw(...sd('module.', 1).bytes());
    p.str('state_dict');
    p.raw(...sd('module.', 0).bytes());
    p.str('iter').int(99).str('optimizer').emptyDict();
    p.setitems().stop();
    const ckpt = await loadCheckpoint(file(buildZipPth(p.bytes(), { '0': f32Bytes([10]), '1': f32Bytes([20]) })));
    expect([...ckpt.stateDict.keys()]).to.deep.equal(['conv.weight']);
    expect(values(ckpt.stateDict.get('conv.weight'))).to.deep.equal([10]);
    expect(ckpt.meta).to.deep.equal({ epoch: 3, CLASSES: ['a', 'b'], iter: 99 });

    const model = new PickleBuilder().proto(2).emptyDict().str('model').raw(...sd('', 0).bytes()).setitem().stop();
    const m = await loadCheckpoint(file(buildZipPth(model.bytes(), { '0': f32Bytes([10]) })));
    expect([...m.stateDict.keys()]).to.deep.equal(['conv.weight']);
  });

  it('applies a key map: official seg layout (model. prefix) to backbone. keys', async () => {
    const p = new PickleBuilder().proto(2).orderedDict().mark();
    for (const k of ['model.conv1.weight', 'model.stage2.0.branches.0.0.conv1.weight', 'model.last_layer.0.weight']) {
      p.str(k).tensor({ key: '0', numel: 1, size: [1] });
    }
    const path = file(buildZipPth(p.setitems().stop().bytes(), { '0': f32Bytes([1]) }));
    const { stateDict } = await loadCheckpoint(path, { keyMap: OFFICIAL_HRNET_KEY_MAPS.seg });
    expect([...stateDict.keys()]).to.deep.equal(['backbone.conv1.weight', 'backbone.stage2.0.branches.0.0.conv1.weight', 'last_layer.0.weight']);
  });

  it('missing files, directories and non-checkpoints are one-line FileErrors naming the path', async () => {
    for (const [p, msg] of [
      [join(dir, 'nope.pth'), 'no such file'],
      [dir, 'not a regular file'],
      [file(Buffer.from('{"a": 1}'), '.json'), 'not a checkpoint'],
      [file(Buffer.alloc(600)), 'not a checkpoint'],
    ]) {
      const err = await loadCheckpoint(p).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(FileError);
      expect((err as Error).message.startsWith(`${p}: ${msg}`), (err as Error).message).to.equal(true);
    }
  });

  it('old tar checkpoints are named as such', async () => {
    const tar = Buffer.alloc(1024);
    tar.write('ustar', 257, 'latin1');
    const err = await loadCheckpoint(file(tar)).catch((e: unknown) => e);
    expect((err as Error).message).to.include('tar-based');
  });

  it('saveCheckpoint writes safetensors with hrdet metadata; loadCheckpoint gives the same tensors and meta', async () => {
    const sd = new Map<string, HostTensor>([
      ['backbone.conv1.weight', hostTensor('float32', [2, 1, 1, 1], Float32Array.from([0.5, -1.25]))],
      ['backbone.bn1.num_batches_tracked', hostTensor('int64', [], BigInt64Array.from([12345678901n]))],
      ['head.mask', hostTensor('bool', [3], Uint8Array.from([1, 0, 1]))],
    ]);
    const meta = { epoch: 4, iter: 1000, config: { model: { type: 'FasterRCNN' } }, optimizer: { lr: 0.02 } };
    const p = join(dir, 'out.safetensors');
    await saveCheckpoint(p, sd, meta);
    const raw = await readSafetensors(p);
    expect(raw.metadata.format).to.equal('hrdet');
    expect(raw.metadata.hrdet_version).to.equal(hrdetVersion()).and.match(/^\d+\.\d+\.\d+/);
    expect(JSON.parse(raw.metadata.config)).to.deep.equal(meta.config);
    expect(JSON.parse(raw.metadata.meta)).to.deep.equal({ epoch: 4, iter: 1000, optimizer: { lr: 0.02 } });

    const back = await loadCheckpoint(p);
    expect([...back.stateDict.keys()]).to.deep.equal([...sd.keys()]);
    for (const [k, t] of sd) expect(back.stateDict.get(k)).to.deep.equal(t);
    expect(back.meta).to.deep.equal({ ...meta, hrdet_version: hrdetVersion() });
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).to.deep.equal([]);
  });

  it('safetensors from elsewhere: metadata strings are the meta', async () => {
    const p = file(encodeSafetensors({ x: hostTensor('float32', [1]) }, { format: 'pt', note: 'hi' }), '.safetensors');
    expect((await loadCheckpoint(p)).meta).to.deep.equal({ format: 'pt', note: 'hi' });
  });

  it('a corrupt hrdet meta block is a FileError', async () => {
    const p = file(encodeSafetensors({ x: hostTensor('float32', [1]) }, { format: 'hrdet', meta: '{oops' }), '.safetensors');
    const err = await loadCheckpoint(p).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(FileError);
    expect((err as Error).message).to.include("metadata 'meta' is not JSON");
  });
});
