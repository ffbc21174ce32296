import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileError } from '../../src/core/errors';
import { hostTensor, type HostTensor } from '../../src/core/host-tensor';
import { BufferSource } from '../../src/io/byte-source';
import { loadCheckpoint } from '../../src/io/checkpoint';
import { NumpyArray } from '../../src/io/py-value';
import { readTrainingCheckpoint, saveTrainingCheckpoint, type TrainingCheckpoint } from '../../src/io/training-checkpoint';
import { ZipArchive } from '../../src/io/zip-reader';
import { unpickle } from '../../src/io/pickle-reader';
import { TorchPicklePolicy } from '../../src/io/torch-pickle-policy';
import { REPO_ROOT } from '../fixture-root';

const FIXTURES = join(REPO_ROOT, 'test/fixtures/io');
const values = (t: HostTensor) => Array.from(t.data as ArrayLike<number | bigint>, Number);

describe('io: training checkpoints (mmengine layout, PyTorch zip format)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hrdet-train-ckpt-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const sample = (): TrainingCheckpoint => ({
    meta: { epoch: 3, iter: 300, seed: 42, cfg: "model = dict(type='X')\nlr = 0.02\n", experiment_name: 'exp', time: '20261204_035500' },
    stateDict: new Map([
      ['backbone.conv1.weight', hostTensor('float32', [2, 1, 1, 1], Float32Array.of(0.5, -1.25))],
      ['backbone.bn1.num_batches_tracked', hostTensor('int64', [], BigInt64Array.of(300n))],
      ['head.mask', hostTensor('bool', [3], Uint8Array.of(1, 0, 1))],
    ]),
    optimizer: {
      state: new Map([[0, new Map([['momentum_buffer', hostTensor('float32', [2, 1, 1, 1], Float32Array.of(0.1, 0.2))]])]]),
      param_groups: [{ lr: 1, momentum: 0.9, dampening: 0, weight_decay: 1e-4, nesterov: false, maximize: false, initial_lr: 0.02, params: [0, 1, 2] }],
    },
    paramSchedulers: [{ param_name: 'lr', begin: 0, end: 500, by_epoch: false, base_values: [0.02], last_step: 299, _global_step: 299, _last_value: [1] }],
    messageHub: { runtime_info: { epoch: 3, iter: 300, max_iters: 1200 } },
  });

  it('writes and reads back every part: meta, state_dict, optimizer state and groups, schedulers, message hub', async () => {
    const path = join(dir, 'epoch_3.pth');
    await saveTrainingCheckpoint(path, sample());
    const back = await readTrainingCheckpoint(path);
    expect(back.meta).to.deep.include({ epoch: 3, iter: 300, seed: 42, experiment_name: 'exp', cfg: "model = dict(type='X')\nlr = 0.02\n" });
    expect(back.meta.hrdet_version).to.be.a('string');
    expect([...back.stateDict.keys()]).to.deep.equal(['backbone.conv1.weight', 'backbone.bn1.num_batches_tracked', 'head.mask']);
    expect(values(back.stateDict.get('backbone.conv1.weight')!)).to.deep.equal([0.5, -1.25]);
    expect(back.stateDict.get('backbone.bn1.num_batches_tracked')).to.deep.include({ dtype: 'int64', shape: [] });
    expect(values(back.stateDict.get('backbone.bn1.num_batches_tracked')!)).to.deep.equal([300]);
    expect(back.stateDict.get('head.mask')!.dtype).to.equal('bool');
    expect(values(back.optimizer!.state.get(0)!.get('momentum_buffer')!)).to.deep.equal([Math.fround(0.1), Math.fround(0.2)]);
    expect(back.optimizer!.param_groups).to.deep.equal(sample().optimizer!.param_groups);
    expect(back.paramSchedulers).to.deep.equal(sample().paramSchedulers);
    expect(back.messageHub).to.deep.equal({ log_scalars: {}, runtime_info: { epoch: 3, iter: 300, max_iters: 1200 }, resumed_keys: {} });
    // hrdet's model loader reads it like any mmdetection checkpoint
    const forModel = await loadCheckpoint(path);
    expect([...forModel.stateDict.keys()]).to.have.length(3);
    expect(forModel.meta.epoch).to.equal(3);
  });

  it("is laid out as torch.save does: archive/data.pkl, data/<n>, byteorder, version; 64-byte aligned data, valid CRCs", async () => {
    const path = join(dir, 'layout.pth');
    await saveTrainingCheckpoint(path, sample());
    const bytes = readFileSync(path);
    const zip = await ZipArchive.open(new BufferSource(path, bytes));
    expect([...zip.entries.keys()]).to.deep.equal([
      'archive/data.pkl', 'archive/byteorder', 'archive/data/0', 'archive/data/1', 'archive/data/2', 'archive/data/3', 'archive/version',
    ]);
    for (const e of zip.entries.values()) await zip.read(e); // checks every CRC
    expect(Buffer.from(await zip.read(zip.entries.get('archive/version')!)).toString()).to.equal('3\n');
    expect(Buffer.from(await zip.read(zip.entries.get('archive/byteorder')!)).toString()).to.equal('little');
    // each storage's bytes start on a 64-byte boundary (the local header's name and extra field precede them)
    for (const name of ['archive/data/0', 'archive/data/1']) {
      const at = bytes.indexOf(Buffer.from(name)) + name.length;
      const extraLen = bytes.readUInt16LE(at - name.length - 2);
      expect((at + extraLen) % 64, name).to.equal(0);
    }
    const pkl = Buffer.from(await zip.read(zip.entries.get('archive/data.pkl')!));
    expect(pkl[0]).to.equal(0x80);
    expect(pkl[1]).to.equal(2);
    // only the globals torch.load(weights_only=True) allows
    const globals = new Set<string>();
    const policy = new TorchPicklePolicy(path, 'zip');
    const recording = Object.assign(Object.create(policy) as TorchPicklePolicy, {
      global: (m: string, n: string) => (globals.add(`${m}.${n}`), policy.global(m, n)),
    });
    unpickle(pkl, 0, path, recording);
    expect([...globals].sort()).to.deep.equal(['collections.OrderedDict', 'torch.BoolStorage', 'torch.FloatStorage', 'torch.LongStorage', 'torch._utils._rebuild_tensor_v2']);
  });

  it('is written atomically: no temporary file is left, a missing directory is a FileError', async () => {
    await saveTrainingCheckpoint(join(dir, 'atomic.pth'), sample());
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).to.deep.equal([]);
    let err: unknown;
    try {
      await saveTrainingCheckpoint(join(dir, 'no', 'such', 'x.pth'), sample());
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(FileError);
  });

  it('reads a training checkpoint PyTorch wrote (torch.optim.SGD state after two steps)', async () => {
    const expected = JSON.parse(readFileSync(join(FIXTURES, 'torch_training.json'), 'utf-8')) as {
      state_dict: Record<string, { dtype: string; shape: number[]; values: number[] }>;
      optimizer_state: Record<string, Record<string, { shape: number[]; values: number[] }>>;
      param_groups: unknown[];
    };
    const back = await readTrainingCheckpoint(join(FIXTURES, 'torch_training.pth'));
    expect([...back.stateDict.keys()]).to.deep.equal(Object.keys(expected.state_dict));
    for (const [k, e] of Object.entries(expected.state_dict)) {
      const t = back.stateDict.get(k)!;
      expect(t.shape, k).to.deep.equal(e.shape);
      expect(values(t), k).to.deep.equal(e.values);
    }
    expect([...back.optimizer!.state.keys()]).to.deep.equal(Object.keys(expected.optimizer_state).map(Number));
    for (const [i, s] of Object.entries(expected.optimizer_state)) {
      expect(values(back.optimizer!.state.get(Number(i))!.get('momentum_buffer')!)).to.deep.equal(s.momentum_buffer.values);
    }
    expect(back.optimizer!.param_groups).to.deep.equal(expected.param_groups);
    expect(back.meta).to.deep.include({ epoch: 1, iter: 2, seed: 7, experiment_name: 'torch_made' });
    expect(back.paramSchedulers![0]).to.deep.include({ last_step: 2, _global_step: 2 });
  });

  describe("mmengine's training checkpoints (message_hub, numpy values, unknown classes)", () => {
    let warnings: string[];
    let ckpt: TrainingCheckpoint;
    before(async () => {
      warnings = [];
      ckpt = await readTrainingCheckpoint(join(FIXTURES, 'mmengine_training.pth'), { onWarning: (m) => warnings.push(m) });
    });

    it('decodes numpy scalars in meta and the config text', () => {
      expect(ckpt.meta).to.deep.include({ seed: 42, epoch: 12, iter: 1200, mmengine_version: '0.10.4' });
      expect(ckpt.meta.cfg).to.match(/^model = dict\(type='TopdownPoseEstimator'\)/);
      expect(ckpt.meta.dataset_meta).to.deep.equal({ classes: ['person'], flip_indices: [0, 2, 1] });
    });

    it('reads MessageHub HistoryBuffers as their attributes, numpy arrays decoded', () => {
      const hub = ckpt.messageHub as { log_scalars: Record<string, Record<string, unknown>>; runtime_info: Record<string, unknown>; resumed_keys: unknown };
      const loss = hub.log_scalars['train/loss'];
      expect(loss.max_length).to.equal(1000000);
      const hist = loss._log_history as NumpyArray;
      expect(hist).to.be.instanceOf(NumpyArray);
      expect(hist.dtype).to.equal('f8');
      expect(Array.from(hist.values as Float64Array)).to.deep.equal([0.9, 0.7, 0.55]);
      expect((loss._count_history as NumpyArray).values).to.deep.equal([1, 1, 1]);
      const lr = hub.log_scalars['train/lr']._log_history as NumpyArray;
      expect(lr.dtype).to.equal('f4');
      expect(Array.from(lr.values as Float64Array)).to.deep.equal([Math.fround(0.02), Math.fround(0.02)]);
      expect(hub.runtime_info).to.deep.include({ epoch: 12, iter: 1199, max_iters: 1200, grad_norm: 1.25, last_ckpt: 'work_dirs/td-hm/epoch_12.pth' });
      expect((hub.runtime_info.mask as NumpyArray).values).to.deep.equal([true, false]);
      expect(hub.resumed_keys).to.deep.equal({ epoch: true, iter: true });
    });

    it('skips the object of an unknown class, with one warning naming it', () => {
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.include('mmengine_training.pth').and.include('mmdet.engine.hooks.StandInHook');
      const hub = ckpt.messageHub as { runtime_info: Record<string, unknown> };
      expect(hub.runtime_info.hook).to.have.property('className', 'mmdet.engine.hooks.StandInHook');
    });

    it('reads optimizer state, scheduler states (Counter milestones) and other entries (defaultdict, int64/half arrays, sets)', () => {
      expect(values(ckpt.optimizer!.state.get(0)!.get('momentum_buffer')!)).to.deep.equal([0.25, 0.25, 0.25, 0.25, 0.25, 0.25]);
      expect(ckpt.optimizer!.param_groups[0]).to.deep.include({ lr: 0.0002, initial_lr: 0.02, params: [0] });
      expect(ckpt.paramSchedulers![1].milestones).to.deep.equal({ 8: 1, 11: 1 });
      expect(ckpt.paramSchedulers![0]).to.deep.include({ start_factor: 0.001, total_iters: 499, last_step: 499 });
      const extras = ckpt.extra!.extras as Record<string, unknown>;
      expect(extras.per_class).to.deep.equal({ person: [1, 2] });
      const m = extras.matrix as NumpyArray;
      expect([m.dtype, m.shape, m.values]).to.deep.equal(['i8', [2, 3], [0, 1, 2, 3, 4, 5]]);
      expect(Array.from((extras.half as NumpyArray).values as Float64Array)).to.deep.equal([1.5]);
      expect((extras.tags as string[]).sort()).to.deep.equal(['a', 'b']);
      expect(values(ckpt.stateDict.get('backbone.bn1.num_batches_tracked')!)).to.deep.equal([1200]);
    });

    it("hrdet's model loader reads its state_dict and meta too (once refused: message_hub, numpy)", async () => {
      const c = await loadCheckpoint(join(FIXTURES, 'mmengine_training.pth'), { onWarning: () => undefined });
      expect([...c.stateDict.keys()]).to.deep.equal(['backbone.conv1.weight', 'backbone.bn1.running_mean', 'backbone.bn1.num_batches_tracked']);
      expect(c.meta.seed).to.equal(42);
    });
  });
});
