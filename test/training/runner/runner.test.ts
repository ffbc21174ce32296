/**
 * The runner end to end on an in-memory classification set: learning, checkpoints (periodic,
 * kept, best, last_checkpoint), logs, exact resume after a crash mid-epoch, the
 * iteration-based loop, and one-line config errors.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { buildModel } from '../../../src/apis/build-model';
import { tfjsEngine } from '../../../src/apis/forward';
import { initBackend } from '../../../src/engines/tfjs/backend';
import { seed } from '../../../src/core/random';
import { readTrainingCheckpoint } from '../../../src/io/training-checkpoint';
import { createContainer } from '../../../src/registry/container';
import { HOOKS } from '../../../src/registry/registries';
import { SilentLogger, type Progress } from '../../../src/registry/services';
import { Hook } from '../../../src/training/hooks/hook';
import { Runner } from '../../../src/training/runner/runner';
import { EVENT } from '../../../src/training/visualization/event-proto';
import { readTfRecords } from '../../../src/training/visualization/tfrecord';
import { toyConfig } from './toy-cls-dataset';

const quiet: Progress = { start: () => ({ tick: () => {}, stop: () => {} }) };

/** Throws inside iteration `at` (1-based), as a crash would stop the process there. */
class CrashHook extends Hook {
  readonly name = 'CrashHook';
  constructor(readonly at: number) {
    super();
  }
  override beforeTrainIter(runner: Runner): void {
    if (runner.iter + 1 === this.at) throw new Error(`crash in iteration ${this.at}`);
  }
}
if (!HOOKS.has('CrashHook')) HOOKS.register(z.object({ at: z.number().int() }).strict(), (o: { at: number }) => new CrashHook(o.at), { name: 'CrashHook' });

async function runToy(workDir: string, config: Record<string, unknown>, modelSeed = 3): Promise<{ runner: Runner; logger: SilentLogger }> {
  const logger = new SilentLogger();
  const container = createContainer({ logger, progress: quiet });
  seed(modelSeed);
  const { model } = await buildModel(config, { container });
  const runner = new Runner({ model, config, workDir, engine: tfjsEngine(), container, timestamp: `run${readdirSync(workDir).length}` });
  await runner.train();
  return { runner, logger };
}

function scalarLines(runner: Runner): Record<string, number>[] {
  return readFileSync(join(runner.logDir, 'vis_data', 'scalars.json'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

describe('training: Runner', function () {
  this.timeout(300000);
  let root: string;
  before(async () => {
    await initBackend(process.env.HRDET_BACKEND ?? 'wasm');
    root = mkdtempSync(join(tmpdir(), 'hrdet-runner-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));
  const dir = (name: string) => {
    const d = join(root, name);
    rmSync(d, { recursive: true, force: true });
    require('node:fs').mkdirSync(d, { recursive: true });
    return d;
  };

  let full: Runner;
  it('learns the toy set: the loss falls and validation accuracy ends far above chance', async () => {
    const { runner } = await runToy(dir('full'), toyConfig({ train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 8, val_interval: 2 } }));
    full = runner;
    const lines = scalarLines(runner);
    const losses = lines.filter((l) => 'loss' in l).map((l) => l.loss);
    const acc = lines.filter((l) => 'accuracy/top1' in l).map((l) => l['accuracy/top1']);
    expect(acc).to.have.length(4); // epochs 2, 4, 6, 8
    expect(losses[losses.length - 1]).to.be.below(losses[0] / 2);
    expect(acc[acc.length - 1]).to.be.above(80);
  });

  it('writes mmengine checkpoints: kept, best and last, readable back whole', async () => {
    const wd = full.workDir;
    const files = readdirSync(wd).filter((f) => f.endsWith('.pth')).sort();
    expect(files.filter((f) => f.startsWith('epoch_'))).to.deep.equal(['epoch_7.pth', 'epoch_8.pth']);
    expect(files.filter((f) => f.startsWith('best_'))).to.have.length(1);
    expect(readFileSync(join(wd, 'last_checkpoint'), 'utf8')).to.equal(join(wd, 'epoch_8.pth'));
    const ck = await readTrainingCheckpoint(join(wd, 'epoch_8.pth'));
    expect(ck.meta).to.include({ epoch: 8, iter: 32, seed: 3 });
    expect(ck.optimizer!.state.size).to.be.above(0);
    expect(ck.optimizer!.state.get(0)!.has('momentum_buffer')).to.equal(true);
    expect(ck.paramSchedulers).to.have.length(2);
    const hub = ck.messageHub as { log_scalars: Record<string, { _log_history: number[] }> };
    expect(hub.log_scalars['train/loss']._log_history).to.have.length(32);
    expect([...ck.stateDict.keys()]).to.include('backbone.conv1.weight');
    // the text log has mmengine's lines
    const log = readFileSync(join(full.logDir, `${full.timestamp}.log`), 'utf8');
    expect(log).to.match(/Epoch\(train\) \[1\]\[2\/4\]  lr: \d\.\d{4}e[-+]\d\d  eta: \d+:\d\d:\d\d  time: \d+\.\d{4}  data_time: \d+\.\d{4}  memory: \d+  loss: \d+\.\d{4}/);
    expect(log).to.match(/Epoch\(val\) \[2\]\[3\/3\]  accuracy\/top1: \d+\.\d{4}  data_time: \d\.\d{4}  time: \d\.\d{4}/);
  });

  it('resumes a run that crashed inside an epoch to the same weights, optimizer state, schedule and logged losses', async () => {
    const cfg = (extra: Record<string, unknown> = {}) =>
      toyConfig({
        train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 6, val_interval: 2 },
        default_hooks: { logger: { type: 'LoggerHook', interval: 1 }, checkpoint: { type: 'CheckpointHook', by_epoch: false, interval: 5 } },
        ...extra,
      });
    const { runner: a } = await runToy(dir('a'), cfg());
    const bDir = dir('b');
    let crashed = '';
    try {
      await runToy(bDir, cfg({ custom_hooks: [{ type: 'CrashHook', at: 13 }] }));
    } catch (e) {
      crashed = (e as Error).message;
    }
    expect(crashed).to.equal('crash in iteration 13');
    expect(readFileSync(join(bDir, 'last_checkpoint'), 'utf8')).to.equal(join(bDir, 'iter_10.pth'));
    // a different initialisation: everything must come from the checkpoint
    const { runner: b } = await runToy(bDir, cfg({ resume: true }), 99);
    const sa = a.model.stateDict();
    const sb = b.model.stateDict();
    for (const [k, t] of sa) expect(Buffer.from(sb.get(k)!.data.buffer).equals(Buffer.from(t.data.buffer)), k).to.equal(true);
    expect(b.optimWrapper.getLr()).to.deep.equal(a.optimWrapper.getLr());
    const oa = a.optimWrapper.stateDict();
    const ob = b.optimWrapper.stateDict();
    for (const [i, s] of oa.state) expect(Buffer.from(ob.state.get(i)!.get('momentum_buffer')!.data.buffer).equals(Buffer.from(s.get('momentum_buffer')!.data.buffer))).to.equal(true);
    const loss = (r: Runner) => new Map(scalarLines(r).filter((l) => 'loss' in l).map((l) => [l.step, l.loss]));
    const la = loss(a);
    const lb = loss(b);
    expect([...lb.keys()]).to.deep.equal([11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
    for (const [step, v] of lb) expect(v, `loss at ${step}`).to.equal(la.get(step));
  });

  it('EMAHook: averaged weights in state_dict, training weights in ema_state_dict, exact across a resume', async () => {
    const cfg = (extra: Record<string, unknown> = {}) =>
      toyConfig({
        train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 3, val_interval: 3 },
        default_hooks: { checkpoint: { type: 'CheckpointHook', interval: 1 } },
        custom_hooks: [{ type: 'EMAHook', ema_type: 'ExpMomentumEMA', momentum: 0.0002, gamma: 4, priority: 49 }, ...((extra.crash as unknown[]) ?? [])],
        ...(extra.resume ? { resume: true } : {}),
      });
    const { runner: a } = await runToy(dir('ema-a'), cfg());
    const ck = await readTrainingCheckpoint(join(a.workDir, 'epoch_3.pth'));
    const ema = ck.extra!.ema_state_dict as Map<string, import('../../../src/core/host-tensor').HostTensor>;
    expect(Number(ema.get('steps')!.data[0])).to.equal(12);
    // the live model holds the training weights: ema_state_dict's module.*; state_dict holds the averages
    const live = a.model.stateDict();
    const w = 'head.classifier.weight';
    expect(Buffer.from(ema.get(`module.${w}`)!.data.buffer).equals(Buffer.from(live.get(w)!.data.buffer))).to.equal(true);
    expect(Buffer.from(ck.stateDict.get(w)!.data.buffer).equals(Buffer.from(live.get(w)!.data.buffer))).to.equal(false);
    const bDir = dir('ema-b');
    await runToy(bDir, cfg({ crash: [{ type: 'CrashHook', at: 7 }] })).catch(() => undefined);
    const { runner: b } = await runToy(bDir, cfg({ resume: true }), 42);
    const cb = await readTrainingCheckpoint(join(b.workDir, 'epoch_3.pth'));
    const emaB = cb.extra!.ema_state_dict as Map<string, import('../../../src/core/host-tensor').HostTensor>;
    for (const [k, t] of ck.stateDict) expect(Buffer.from(cb.stateDict.get(k)!.data.buffer).equals(Buffer.from(t.data.buffer)), k).to.equal(true);
    for (const [k, t] of ema) expect(Buffer.from(emaB.get(k)!.data.buffer).equals(Buffer.from(t.data.buffer)), k).to.equal(true);
  });

  it('writes TensorBoard events beside scalars.json: every record CRC-checked, the same losses at the same steps', async () => {
    const { runner } = await runToy(dir('tb'), toyConfig({ train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 1 }, visualizer: { type: 'Visualizer', vis_backends: [{ type: 'LocalVisBackend' }, { type: 'TensorboardVisBackend' }] } }));
    const vis = join(runner.logDir, 'vis_data');
    const file = readdirSync(vis).find((f) => f.startsWith('events.out.tfevents.'))!;
    const events = readTfRecords(readFileSync(join(vis, file))).map((r) => EVENT.toObject(EVENT.decode(r), { longs: Number }) as { step?: number; summary?: { value: { tag: string; simple_value: number }[] } });
    const tb = events.filter((e) => e.summary?.value[0]?.tag === 'loss').map((e) => [e.step, e.summary!.value[0].simple_value]);
    const local = scalarLines(runner).filter((l) => 'loss' in l).map((l) => [l.step, Math.fround(l.loss)]);
    expect(tb).to.deep.equal(local);
    expect(tb).to.have.length(2);
  });

  it('runs an iteration-based schedule: iter_N checkpoints, validation every val_interval', async () => {
    const { runner } = await runToy(
      dir('iter'),
      toyConfig({
        train_cfg: { type: 'IterBasedTrainLoop', max_iters: 10, val_interval: 5 },
        param_scheduler: [{ type: 'LinearLR', start_factor: 0.1, by_epoch: false, begin: 0, end: 4 }],
        log_processor: { by_epoch: false },
        default_hooks: { checkpoint: { type: 'CheckpointHook', by_epoch: false, interval: 5 } },
      }),
    );
    expect(runner.iter).to.equal(10);
    expect(existsSync(join(runner.workDir, 'iter_5.pth')) && existsSync(join(runner.workDir, 'iter_10.pth'))).to.equal(true);
    const val = scalarLines(runner).filter((l) => 'accuracy/top1' in l).map((l) => l.step);
    expect(val).to.deep.equal([5, 10]);
  });

  describe('config errors are one line naming the path', () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['an epoch-based scheduler under IterBasedTrainLoop', { train_cfg: { type: 'IterBasedTrainLoop', max_iters: 4 }, param_scheduler: { type: 'MultiStepLR', milestones: [1] } }, /^param_scheduler\.by_epoch: an epoch-based scheduler under IterBasedTrainLoop never steps/],
      ['a misspelt loop option', { train_cfg: { type: 'EpochBasedTrainLoop', max_epoch: 4 } }, /^train_cfg/],
      ['val_dataloader without val_evaluator', { val_evaluator: null }, /^val_evaluator: val_dataloader, val_cfg, val_evaluator are given together or not at all/],
      ['a distributed launcher', { launcher: 'pytorch' }, /^launcher: hrdet trains in one process/],
      ['an option the optimizer lacks', { optim_wrapper: { optimizer: { type: 'Adam', lr: 0.001, nesterov: true } } }, /^optim_wrapper\.optimizer/],
      ['an unknown hook', { custom_hooks: [{ type: 'EMAHok' }] }, /^custom_hooks\.0\.type: unknown hook type 'EMAHok'/],
      ['a bad hook priority', { custom_hooks: [{ type: 'CrashHook', at: 100, priority: 'SOON' }] }, /^custom_hooks\.0\.priority: unknown hook priority 'SOON'/],
    ];
    for (const [what, overrides, message] of cases) {
      it(what, async () => {
        let err: Error | null = null;
        try {
          await runToy(dir('err'), toyConfig(overrides));
        } catch (e) {
          err = e as Error;
        }
        expect(err, 'an error').to.not.equal(null);
        expect(err!.message).to.match(message);
        expect(err!.message.split('\n')).to.have.length(1);
      });
    }
  });
});
