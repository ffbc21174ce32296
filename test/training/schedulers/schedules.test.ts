import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, UserError } from '../../../src/core/errors';
import { createContainer } from '../../../src/registry/container';
import { buildFrom } from '../../../src/registry/build-context';
import { SCHEDULERS } from '../../../src/registry/registries';
import { REPO_ROOT } from '../../fixture-root';
import { ConstantLR } from '../../../src/training/schedulers/constant-lr';
import { CosineAnnealingLR } from '../../../src/training/schedulers/cosine-annealing-lr';
import { ExponentialLR } from '../../../src/training/schedulers/exponential-lr';
import { LinearLR } from '../../../src/training/schedulers/linear-lr';
import { MultiStepLR } from '../../../src/training/schedulers/multi-step-lr';
import { OneCycleLR } from '../../../src/training/schedulers/one-cycle-lr';
import { PolyLR } from '../../../src/training/schedulers/poly-lr';
import { StepLR } from '../../../src/training/schedulers/step-lr';
import type { ParamScheduler } from '../../../src/training/schedulers/param-scheduler';
import '../../../src/components';
import { lrTrace, optimizerAt, worst } from './simulate';

interface Warmup {
  base_lr: number;
  epochs: number;
  iters_per_epoch: number;
  lr: number[];
}
const fx = JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/training/schedules.json'), 'utf-8')) as {
  schedule_1x: Warmup;
  mmpose_210e: Warmup;
  mmseg_80k: { base_lr: number; iters: number; at: number[]; lr: number[] };
  one_cycle: { cos: number[]; linear_three_phase: number[] };
  cosine: { base_lr: number; eta_min: number; T_max: number; lr: number[] };
};

/** Chained and closed forms agree to a few ulps over thousands of steps. */
const TOL = 1e-12;

function expectClose(actual: readonly number[], expected: readonly number[], tol = TOL): void {
  expect(actual.length).to.equal(expected.length);
  const w = worst(actual, expected);
  expect(w.rel, `iteration ${w.at}: ${actual[w.at]} vs ${expected[w.at]}`).to.be.at.most(tol);
}

function warmupThenSteps(f: Warmup, milestones: number[]): number[] {
  const opt = optimizerAt(f.base_lr);
  const s: ParamScheduler[] = [
    new LinearLR({ optimizer: opt, start_factor: 0.001, by_epoch: false, begin: 0, end: 500 }),
    new MultiStepLR({ optimizer: opt, begin: 0, end: f.epochs, by_epoch: true, milestones, gamma: 0.1 }),
  ];
  return lrTrace(opt, s, f.epochs, f.iters_per_epoch);
}

describe('parameter schedulers against mm* schedules (value by value)', () => {
  it("mmdetection's schedule_1x: 500-iteration linear warm-up from 0.001, x0.1 at epochs 8 and 11", () => {
    const lr = warmupThenSteps(fx.schedule_1x, [8, 11]);
    expectClose(lr, fx.schedule_1x.lr);
    expect(lr[0]).to.be.closeTo(0.02 * 0.001, 1e-15);
    expect(lr[499]).to.be.closeTo(0.02, 1e-15);
    expect(lr[800]).to.be.closeTo(0.002, 1e-15);
    expect(lr[1199]).to.be.closeTo(0.0002, 1e-15);
  });

  it("mmpose's 210-epoch schedule: warm-up, x0.1 at epochs 170 and 200", () => {
    expectClose(warmupThenSteps(fx.mmpose_210e, [170, 200]), fx.mmpose_210e.lr);
  });

  it("mmseg's schedule_80k: PolyLR power 0.9 to eta_min 1e-4 over 80k iterations", () => {
    const opt = optimizerAt(fx.mmseg_80k.base_lr);
    const s = new PolyLR({ optimizer: opt, eta_min: 1e-4, power: 0.9, begin: 0, end: fx.mmseg_80k.iters, by_epoch: false });
    const lr = lrTrace(opt, [s], 1, fx.mmseg_80k.iters);
    expectClose(fx.mmseg_80k.at.map((i) => lr[i]), fx.mmseg_80k.lr, 1e-9);
    expect(lr[fx.mmseg_80k.iters - 1]).to.be.closeTo(1e-4, 1e-12);
  });

  it('OneCycleLR follows torch.optim.lr_scheduler.OneCycleLR (cos, and linear three-phase)', () => {
    let opt = optimizerAt(0.1);
    expectClose(lrTrace(opt, [new OneCycleLR({ optimizer: opt, eta_max: 0.1, total_steps: 20, by_epoch: false })], 1, 20), fx.one_cycle.cos);
    opt = optimizerAt(0.1);
    const three = new OneCycleLR({
      optimizer: opt, eta_max: 0.1, total_steps: 20, by_epoch: false, anneal_strategy: 'linear', three_phase: true,
      pct_start: 0.25, div_factor: 10, final_div_factor: 100,
    });
    expectClose(lrTrace(opt, [three], 1, 20), fx.one_cycle.linear_three_phase);
  });

  it('CosineAnnealingLR: the chainable form reproduces eta_min + (base - eta_min)(1 + cos(pi k / T)) / 2', () => {
    const opt = optimizerAt(fx.cosine.base_lr);
    const s = new CosineAnnealingLR({ optimizer: opt, eta_min: fx.cosine.eta_min, begin: 0, end: fx.cosine.T_max, by_epoch: true });
    expectClose(lrTrace(opt, [s], fx.cosine.T_max, 1), fx.cosine.lr);
  });

  it('CosineAnnealingLR eta_min_ratio is relative to each group initial lr', () => {
    const opt = optimizerAt(0.1);
    const s = new CosineAnnealingLR({ optimizer: opt, eta_min_ratio: 0.1, end: 4, by_epoch: false });
    const lr = lrTrace(opt, [s], 1, 5);
    expectClose(lr, [0.1, 0.01 + 0.09 * (1 + Math.cos(Math.PI / 4)) / 2, 0.055, 0.01 + 0.09 * (1 + Math.cos((3 * Math.PI) / 4)) / 2, lr[3]]);
  });
});

describe('parameter schedulers by hand', () => {
  it('StepLR, ExponentialLR and ConstantLR (total_iters = end - begin - 1, as mmengine)', () => {
    let opt = optimizerAt(1);
    expectClose(lrTrace(opt, [new StepLR({ optimizer: opt, step_size: 2, gamma: 0.5 })], 6, 1), [1, 1, 0.5, 0.5, 0.25, 0.25]);
    opt = optimizerAt(1);
    expectClose(lrTrace(opt, [new ExponentialLR({ optimizer: opt, gamma: 0.5, end: 3 })], 5, 1), [1, 0.5, 0.25, 0.25, 0.25]);
    opt = optimizerAt(1);
    expectClose(lrTrace(opt, [new ConstantLR({ optimizer: opt, factor: 0.5, end: 4 })], 6, 1), [0.5, 0.5, 0.5, 1, 1, 1]);
  });

  it('begin delays a scheduler; milestones count from begin', () => {
    const opt = optimizerAt(1);
    const s = new MultiStepLR({ optimizer: opt, milestones: [1, 3], gamma: 0.5, begin: 2 });
    expectClose(lrTrace(opt, [s], 7, 1), [1, 1, 1, 0.5, 0.5, 0.25, 0.25]);
  });

  it('LinearLR with begin: factor start_factor at begin, 1 at end - 1, untouched outside', () => {
    const opt = optimizerAt(1);
    const s = new LinearLR({ optimizer: opt, start_factor: 0.25, begin: 2, end: 5, by_epoch: false });
    // the construction step (global step 0) is before begin: lr untouched until step 2
    expectClose(lrTrace(opt, [s], 1, 7), [1, 1, 0.25, 0.625, 1, 1, 1]);
  });

  it('convert_to_iter_based multiplies begin, end and milestones by the epoch length', () => {
    const opt = optimizerAt(1);
    const s = new MultiStepLR({ optimizer: opt, milestones: [1, 2], gamma: 0.5, convert_to_iter_based: true, epoch_length: 3 });
    expect(s.byEpoch).to.equal(false);
    expectClose(lrTrace(opt, [s], 3, 3), [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]);
    const warm = optimizerAt(1);
    const lin = new LinearLR({ optimizer: warm, start_factor: 0.5, end: 1, convert_to_iter_based: true, epoch_length: 3 });
    expectClose(lrTrace(warm, [lin], 2, 3), [0.5, 0.75, 1, 1, 1, 1]);
  });

  it('several groups are scheduled each from its own initial lr', () => {
    const opt = optimizerAt(1, 2);
    opt.paramGroups[1].hyper.lr = 0.1;
    const s = new CosineAnnealingLR({ optimizer: opt, eta_min_ratio: 0, end: 2, by_epoch: false });
    s.step();
    // (1 + cos(pi / 2)) / 2 of each group's own initial lr
    expect(opt.paramGroups.map((g) => g.num('lr'))).to.deep.equal([0.5, 0.05]);
    expect(opt.paramGroups.map((g) => g.num('initial_lr'))).to.deep.equal([1, 0.1]);
  });

  it("resuming at last_step without a state dict needs each group's initial_lr (mmengine's KeyError, as one line)", () => {
    expect(() => new LinearLR({ optimizer: optimizerAt(1), last_step: 3 })).to.throw(UserError, /param group 0 has no 'initial_lr'/);
  });

  it('state round trip: a scheduler restored from stateDict() continues where the first stopped', () => {
    const a = optimizerAt(1);
    const s1 = new PolyLR({ optimizer: a, power: 2, end: 10, by_epoch: false });
    for (let i = 0; i < 4; i++) s1.step();
    const b = optimizerAt(1);
    b.paramGroups[0].hyper.lr = a.paramGroups[0].num('lr');
    b.paramGroups[0].hyper.initial_lr = 1;
    const s2 = new PolyLR({ optimizer: b, power: 2, end: 10, by_epoch: false, last_step: 0 });
    s2.loadStateDict(s1.stateDict());
    b.paramGroups[0].hyper.lr = a.paramGroups[0].num('lr');
    s1.step();
    s2.step();
    expect(b.paramGroups[0].num('lr')).to.equal(a.paramGroups[0].num('lr'));
    expect(s2.stateDict()).to.deep.equal(s1.stateDict());
  });
});

describe('parameter scheduler configs', () => {
  const container = createContainer();
  const build = (cfg: object, defaults: object = {}) => buildFrom(SCHEDULERS, cfg, container, 'param_scheduler[1]', 'cfg.py', defaults as never);

  it('builds from an mm* config with the optimizer passed as a default, as mmengine does', () => {
    const opt = optimizerAt(0.02);
    const s = build({ type: 'MultiStepLR', begin: 0, end: 12, by_epoch: true, milestones: [8, 11], gamma: 0.1 }, { optimizer: opt });
    expect(s).to.be.instanceOf(MultiStepLR);
  });

  it('errors name the config path: end <= begin, unknown options, converting a by_epoch: false scheduler', () => {
    const optimizer = optimizerAt(1);
    expect(() => build({ type: 'LinearLR', begin: 5, end: 5 }, { optimizer })).to.throw(ConfigError, /param_scheduler\[1\]\.end: must be larger than begin/);
    expect(() => build({ type: 'StepLR', step_size: 2, warmup: 3 }, { optimizer })).to.throw(ConfigError, /param_scheduler\[1\]/);
    expect(() => build({ type: 'PolyLR', by_epoch: false, convert_to_iter_based: true }, { optimizer, epoch_length: 3 })).to.throw(
      ConfigError,
      /param_scheduler\[1\]\.convert_to_iter_based: only a by_epoch: true/,
    );
    expect(() => build({ type: 'LinearLR', start_factor: 2 }, { optimizer })).to.throw(ConfigError, /start_factor/);
  });
});
