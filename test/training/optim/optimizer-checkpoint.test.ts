import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Parameter } from '../../../src/core/parameter';
import { readTrainingCheckpoint, saveTrainingCheckpoint } from '../../../src/io/training-checkpoint';
import { Adam } from '../../../src/training/optim/adam';
import type { Optimizer } from '../../../src/training/optim/optimizer';
import { SGD } from '../../../src/training/optim/sgd';
import { REPO_ROOT } from '../../fixture-root';
import { describeOnBackends } from '../../core/helpers/backends';

describeOnBackends('optimizer state through checkpoint files', (h) => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hrdet-optim-ckpt-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const grads = [[0.5, -1], [0.25, 2], [-1, 0.5], [3, -0.5], [0.1, 0.1]];

  async function resumedMatches(make: () => Optimizer, file: string): Promise<void> {
    const run = (opt: Optimizer, p: Parameter, gs: number[][]) =>
      h.run(() => gs.forEach((g) => opt.step(new Map([[p, h.f32([2], g)]]))));
    const straightP = new Parameter([2], 'float32', true, Float32Array.of(1, -1));
    const straight = make();
    straight.setParamGroups([{ params: [{ name: 'w', param: straightP }] }]);
    run(straight, straightP, grads);

    const p = new Parameter([2], 'float32', true, Float32Array.of(1, -1));
    const first = make();
    first.setParamGroups([{ params: [{ name: 'w', param: p }] }]);
    run(first, p, grads.slice(0, 3));
    const w = h.run(() => h.read(h.engine.parameter(p)));
    await saveTrainingCheckpoint(join(dir, file), { meta: { iter: 3 }, stateDict: new Map([['w', w]]), optimizer: h.run(() => first.stateDict()) });

    const back = await readTrainingCheckpoint(join(dir, file));
    const q = new Parameter([2], 'float32', true, Float32Array.from(back.stateDict.get('w')!.data as Float32Array));
    const resumed = make();
    resumed.setParamGroups([{ params: [{ name: 'w', param: q }] }]);
    resumed.loadStateDict(back.optimizer!);
    run(resumed, q, grads.slice(3));
    expect(Array.from(h.run(() => h.read(h.engine.parameter(q))).data as Float32Array)).to.deep.equal(Array.from(h.run(() => h.read(h.engine.parameter(straightP))).data as Float32Array));
  }

  it('SGD (nesterov, weight decay): saved after 3 steps, resumed from the file, ends where an uninterrupted run ends', async () => {
    await resumedMatches(() => new SGD({ lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 1e-3 }), 'sgd.pth');
  });

  it('Adam (amsgrad): the same, including the step count', async () => {
    await resumedMatches(() => new Adam({ lr: 0.05, amsgrad: true, weight_decay: 0.01 }), 'adam.pth');
  });

  it("takes the optimizer state torch.optim.SGD saved (momentum buffers, lr after the scheduler, initial_lr)", async () => {
    const ckpt = await readTrainingCheckpoint(join(REPO_ROOT, 'test/fixtures/io/torch_training.pth'));
    const names = ['conv.weight', 'conv.bias', 'bn.weight', 'bn.bias'];
    const params = names.map((n) => new Parameter(ckpt.stateDict.get(n)!.shape, 'float32', true, Float32Array.from(ckpt.stateDict.get(n)!.data as Float32Array)));
    const opt = new SGD({ lr: 1 });
    opt.setParamGroups([{ params: names.map((name, i) => ({ name, param: params[i] })) }]);
    opt.loadStateDict(ckpt.optimizer!);
    const g = opt.paramGroups[0];
    expect(g.num('lr')).to.be.closeTo(0.02 * 0.75, 1e-12); // LinearLR 0.5 -> 1 over 4 steps, after 2
    expect(g.hyper).to.include({ momentum: 0.9, weight_decay: 0.0001, initial_lr: 0.02, nesterov: false });
    const sd = h.run(() => opt.stateDict());
    expect([...sd.state.keys()]).to.deep.equal([0, 1, 2, 3]);
    expect(Array.from(sd.state.get(1)!.get('momentum_buffer')!.data as Float32Array)).to.deep.equal(Array.from(ckpt.optimizer!.state.get(1)!.get('momentum_buffer')!.data as Float32Array));
  });
});
