/**
 * `hrdet train` as a user runs it: the work dir's files, and exact resume after real SIGKILLs
 * of the process — during steps and during checkpoint writes (a checkpoint every iteration
 * makes writes a large share of the run) — ending with the same weights as a run never stopped.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readTrainingCheckpoint } from '../../src/io/training-checkpoint';
import { toyConfig } from '../training/runner/toy-cls-dataset';
import { ROOT, hrdet, tempFiles } from './run-cli';

const PLUGIN = join(ROOT, 'dist', 'test', 'training', 'runner', 'toy-cls-dataset.js');
const BIN = join(ROOT, 'bin', 'hrdet.js');

function config(): Record<string, unknown> {
  return toyConfig({
    train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 4, val_interval: 2 },
    default_hooks: { logger: { type: 'LoggerHook', interval: 1 }, checkpoint: { type: 'CheckpointHook', by_epoch: false, interval: 1, max_keep_ckpts: 2 } },
  });
}

/** Start `hrdet train`, SIGKILL it once `killAfterMs` have passed since its first logged iteration. */
function trainAndKill(args: string[], logDirParent: string, killAfterMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'train', ...args], { cwd: ROOT, env: { ...process.env, HRDET_BACKEND: 'wasm' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let armed = false;
    child.stderr.on('data', (d: Buffer) => {
      if (!armed && /Epoch\(train\)/.test(d.toString())) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.on('exit', (code) => resolve(code));
    void logDirParent;
  });
}

describe('cli: hrdet train', function () {
  this.timeout(600000);
  let dir: string;
  before(() => {
    dir = tempFiles({ 'toy.json': config() });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('resumes after SIGKILLs at arbitrary moments to the weights of an uninterrupted run', async () => {
    const cfg = join(dir, 'toy.json');
    const whole = hrdet(['train', cfg, '--work-dir', join(dir, 'whole'), '--plugin', PLUGIN], { env: { HRDET_BACKEND: 'wasm' } });
    expect(whole.code, whole.stderr).to.equal(0);
    expect(whole.stdout).to.match(/^trained 16 iterations; checkpoints in .*whole, logs in .*whole\/\d{8}_\d{6}, curves in .*curve\.png\n$/);
    const curve = /curves in (.*curve\.png)/.exec(whole.stdout)![1];
    expect(readFileSync(curve).subarray(1, 4).toString()).to.equal('PNG');
    const wd = join(dir, 'killed');
    const args = [cfg, '--work-dir', wd, '--plugin', PLUGIN];
    // three kills, each some time into a run; every later run resumes from the last whole checkpoint
    for (const [i, ms] of [700, 1300, 450].entries()) {
      const code = await trainAndKill(i === 0 ? args : [...args, '--resume'], wd, ms);
      expect(code, `run ${i} was killed`).to.equal(null);
      const last = readFileSync(join(wd, 'last_checkpoint'), 'utf8');
      const ck = await readTrainingCheckpoint(last); // whole, whatever the moment of the kill
      expect(ck.stateDict.size).to.be.above(0);
    }
    const end = hrdet(['train', ...args, '--resume'], { env: { HRDET_BACKEND: 'wasm' } });
    expect(end.code, end.stderr).to.equal(0);
    expect(end.stderr).to.match(/resumed from .*iter_\d+\.pth at epoch \d, iteration \d+/);
    expect(readdirSync(wd).filter((f) => f.endsWith('.tmp')), 'no temporary files left').to.deep.equal([]);
    const a = await readTrainingCheckpoint(join(dir, 'whole', 'iter_16.pth'));
    const b = await readTrainingCheckpoint(join(wd, 'iter_16.pth'));
    expect(b.meta).to.include({ epoch: 3, iter: 16 }); // saved inside epoch 4, after its last iteration (mmengine's counts)
    for (const [k, t] of a.stateDict) expect(Buffer.from(b.stateDict.get(k)!.data.buffer).equals(Buffer.from(t.data.buffer)), k).to.equal(true);
    for (const [i, s] of a.optimizer!.state) {
      for (const [k, t] of s) expect(Buffer.from(b.optimizer!.state.get(i)!.get(k)!.data.buffer).equals(Buffer.from(t.data.buffer)), `optimizer ${i}.${k}`).to.equal(true);
    }
    expect(b.paramSchedulers).to.deep.equal(a.paramSchedulers);
  });

  it('hrdet test evaluates a checkpoint to the metric training logged for the same weights', () => {
    const whole = join(dir, 'whole');
    const r = hrdet(['test', join(dir, 'toy.json'), '--checkpoint', join(whole, 'iter_16.pth'), '--split', 'val', '--work-dir', join(dir, 'test'), '--plugin', PLUGIN], { env: { HRDET_BACKEND: 'wasm' } });
    expect(r.code, r.stderr).to.equal(0);
    const metrics = JSON.parse(r.stdout) as Record<string, number>;
    const run = readdirSync(whole).find((f) => /^\d{8}_\d{6}$/.test(f))!;
    const logged = readFileSync(join(whole, run, 'vis_data', 'scalars.json'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>).filter((l) => 'accuracy/top1' in l);
    expect(metrics['accuracy/top1']).to.equal(logged[logged.length - 1]['accuracy/top1']);
  });

  it('writes the config as Python beside the checkpoints and refuses a missing resume file in one line', () => {
    expect(existsSync(join(dir, 'whole', 'toy.py'))).to.equal(true);
    expect(readFileSync(join(dir, 'whole', 'toy.py'), 'utf8')).to.match(/^train_cfg = dict\(/m);
    const r = hrdet(['train', join(dir, 'toy.json'), '--work-dir', join(dir, 'x'), '--plugin', PLUGIN, '--resume', join(dir, 'nope.pth')]);
    expect(r.code).to.equal(2);
    expect(r.stderr.trim().split('\n').filter((l) => !/^tfjs backend/.test(l))).to.have.length(1);
    expect(r.stderr).to.match(/nope\.pth/);
  });
});
