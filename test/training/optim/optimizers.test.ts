import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parameter } from '../../../src/core/parameter';
import { hostTensor } from '../../../src/core/host-tensor';
import { ConfigError } from '../../../src/core/errors';
import { REPO_ROOT } from '../../fixture-root';
import { describeOnBackends } from '../../core/helpers/backends';
import { expectTensor } from '../../core/helpers/expect-tensor';
import { Adam } from '../../../src/training/optim/adam';
import { AdamW } from '../../../src/training/optim/adamw';
import { SGD } from '../../../src/training/optim/sgd';
import type { Optimizer } from '../../../src/training/optim/optimizer';

interface Case {
  type: 'SGD' | 'Adam' | 'AdamW';
  options: Record<string, unknown>;
  trajectory: number[][];
  state: Record<string, number | number[]>;
}
interface Fixture {
  shape: number[];
  x0: number[];
  grads: number[][];
  cases: Case[];
}

const fixture = JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/training/optim_trajectories.json'), 'utf-8')) as Fixture;

function build(c: Case): Optimizer {
  const o = c.options as never;
  return c.type === 'SGD' ? new SGD(o) : c.type === 'Adam' ? new Adam(o) : new AdamW(o);
}

describeOnBackends('optimizers against torch.optim trajectories', (h) => {
  for (const c of fixture.cases) {
    it(`${c.type} ${JSON.stringify(c.options)}: every step and the final state`, () => {
      const p = new Parameter(fixture.shape, 'float32', true, Float32Array.from(fixture.x0));
      const opt = build(c);
      opt.setParamGroups([{ params: [{ name: 'w', param: p }] }]);
      h.run(() => {
        for (const [i, g] of fixture.grads.entries()) {
          opt.step(new Map([[p, h.f32(fixture.shape, g)]]));
          const now = h.engine.readSync(h.engine.parameter(p));
          expectTensor(now, fixture.shape, c.trajectory[i], { atol: 2e-6, rtol: 2e-6 });
        }
        const sd = opt.stateDict();
        const state = sd.state.get(0)!;
        expect([...state.keys()].sort()).to.deep.equal(Object.keys(c.state).sort());
        for (const [k, v] of Object.entries(c.state)) {
          if (typeof v === 'number') expect(state.get(k)!.data[0]).to.equal(v);
          else expectTensor(state.get(k)!, fixture.shape, v, { atol: 2e-6, rtol: 2e-6 });
        }
      });
    });
  }

  it('SGD by hand: first momentum buffer is the gradient itself, then momentum * buf + (1 - dampening) * g', () => {
    const p = new Parameter([1], 'float32', true, Float32Array.of(1));
    const opt = new SGD({ lr: 0.5, momentum: 0.5, dampening: 0.5 });
    opt.setParamGroups([{ params: [{ name: 'w', param: p }] }]);
    h.run(() => {
      opt.step(new Map([[p, h.f32([1], [2])]])); // buf = 2, p = 1 - 0.5 * 2 = 0
      expect(h.read(h.engine.parameter(p)).data[0]).to.equal(0);
      opt.step(new Map([[p, h.f32([1], [2])]])); // buf = 0.5 * 2 + 0.5 * 2 = 2, p = -1
      expect(h.read(h.engine.parameter(p)).data[0]).to.equal(-1);
    });
  });

  it('Adam by hand: the first step moves every weight by lr (bias correction cancels the moments)', () => {
    const p = new Parameter([2], 'float32', true, Float32Array.of(1, -1));
    const opt = new Adam({ lr: 0.1, eps: 0 });
    opt.setParamGroups([{ params: [{ name: 'w', param: p }] }]);
    h.run(() => {
      opt.step(new Map([[p, h.f32([2], [3, -0.001])]]));
      expectTensor(h.read(h.engine.parameter(p)), [2], [0.9, -0.9], { atol: 1e-6 });
    });
  });

  it('parameters without a gradient are left alone and get no state', () => {
    const a = new Parameter([1], 'float32', true, Float32Array.of(1));
    const b = new Parameter([1], 'float32', true, Float32Array.of(5));
    const opt = new SGD({ lr: 1, momentum: 0.9 });
    opt.setParamGroups([{ params: [{ name: 'a', param: a }, { name: 'b', param: b }] }]);
    h.run(() => {
      opt.step(new Map([[a, h.f32([1], [1])]]));
      expect(h.read(h.engine.parameter(b)).data[0]).to.equal(5);
      expect([...opt.stateDict().state.keys()]).to.deep.equal([0]);
    });
  });

  it('state round trip: a fresh optimizer loaded from stateDict() continues the same trajectory', () => {
    const c = fixture.cases.find((x) => x.type === 'AdamW' && x.options.amsgrad)!;
    const p = new Parameter(fixture.shape, 'float32', true, Float32Array.from(fixture.x0));
    const first = build(c);
    first.setParamGroups([{ params: [{ name: 'w', param: p }] }]);
    h.run(() => {
      for (const g of fixture.grads.slice(0, 3)) first.step(new Map([[p, h.f32(fixture.shape, g)]]));
      const saved = first.stateDict();
      const resumed = build(c);
      resumed.setParamGroups([{ params: [{ name: 'w', param: p }] }]);
      resumed.loadStateDict(saved);
      for (const g of fixture.grads.slice(3)) resumed.step(new Map([[p, h.f32(fixture.shape, g)]]));
      expectTensor(h.read(h.engine.parameter(p)), fixture.shape, c.trajectory[5], { atol: 2e-6, rtol: 2e-6 });
      expect(saved.param_groups[0]).to.include({ lr: 0.01, weight_decay: 0.05, amsgrad: true });
      expect(saved.param_groups[0].params).to.deep.equal([0]);
    });
  });

  it('state loaded from host tensors (as a checkpoint gives them) is uploaded on the next step', () => {
    const p = new Parameter([1], 'float32', true, Float32Array.of(0));
    const opt = new SGD({ lr: 1, momentum: 1 });
    opt.setParamGroups([{ params: [{ name: 'w', param: p }] }]);
    opt.loadStateDict({
      state: new Map([[0, new Map([['momentum_buffer', hostTensor('float32', [1], Float32Array.of(10))]])]]),
      param_groups: [{ lr: 1, momentum: 1, dampening: 0, weight_decay: 0, nesterov: false, maximize: false, params: [0] }],
    });
    h.run(() => {
      opt.step(new Map([[p, h.f32([1], [1])]])); // buf = 10 + 1
      expect(h.read(h.engine.parameter(p)).data[0]).to.equal(-11);
    });
  });
});

describe('optimizer options', () => {
  it('nesterov without momentum is a config error naming the option', () => {
    expect(() => new SGD({ lr: 0.1, nesterov: true })).to.throw(ConfigError, /nesterov.*momentum > 0/);
  });

  it('unknown options are rejected (never accepted and ignored)', () => {
    expect(() => new Adam({ lr: 0.1, fused: true } as never)).to.throw(/fused/);
  });

  it('AdamW defaults to weight_decay 0.01, Adam to 0', () => {
    expect(new AdamW({}).defaults.weight_decay).to.equal(0.01);
    expect(new Adam({}).defaults.weight_decay).to.equal(0);
  });
});
