import { expect } from 'chai';
import { ConfigError } from '../../../src/core/errors';
import { Module } from '../../../src/core/module';
import { BatchNorm2d } from '../../../src/nn/batch-norm2d';
import { Conv2d } from '../../../src/nn/conv2d';
import { Linear } from '../../../src/nn/linear';
import { Parameter } from '../../../src/core/parameter';
import { createContainer } from '../../../src/registry/container';
import { buildOptimWrapper } from '../../../src/training/optim/build-optim-wrapper';
import { clipGradNorm } from '../../../src/training/optim/clip-grad';
import { OptimWrapper } from '../../../src/training/optim/optim-wrapper';
import { SGD } from '../../../src/training/optim/sgd';
import '../../../src/components';
import { describeOnBackends } from '../../core/helpers/backends';
import { expectTensor } from '../../core/helpers/expect-tensor';

/** backbone.{conv (bias), bn, dw (depth-wise, bias), layer1.conv}, head.fc, and a top-level scale. */
class Net extends Module {
  readonly scale: Parameter;
  constructor() {
    super();
    this.scale = this.addParameter('scale', [1]);
    const backbone = this.addModule('backbone', new Holder());
    backbone.put('conv', new Conv2d(3, 4, 3, { bias: true }));
    backbone.put('bn', new BatchNorm2d(4));
    backbone.put('dw', new Conv2d(4, 4, 3, { groups: 4, bias: true }));
    backbone.put('layer1', new Holder()).put('conv', new Conv2d(4, 4, 1, { bias: false }));
    this.addModule('head', new Holder()).put('fc', new Linear(4, 2));
  }
}

class Holder extends Module {
  put<M extends Module>(name: string, m: M): M {
    return this.addModule(name, m);
  }
}

const container = createContainer();

function groupsOf(w: OptimWrapper): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const g of w.paramGroups) {
    expect(g.params).to.have.length(1);
    const { lr, weight_decay, ...extra } = g.hyper;
    out[g.params[0].name] = { lr, weight_decay, ...(extra.lr_mult !== undefined ? { lr_mult: extra.lr_mult } : {}) };
  }
  return out;
}

describe('OptimWrapper param groups (mmengine DefaultOptimWrapperConstructor rules)', () => {
  it('without paramwise_cfg: one group of every parameter in state-dict order', () => {
    const w = buildOptimWrapper(new Net(), { optimizer: { type: 'SGD', lr: 0.1, momentum: 0.9, weight_decay: 1e-4 } }, container);
    expect(w.paramGroups).to.have.length(1);
    expect(w.paramGroups[0].params.map((p) => p.name)).to.deep.equal([...new Net().namedParameters()].map(([n]) => n));
    expect(w.paramGroups[0].hyper).to.include({ lr: 0.1, momentum: 0.9, weight_decay: 1e-4 });
  });

  it('norm, bias, depth-wise and flat multipliers, in mmengine order of precedence', () => {
    const paramwise_cfg = { norm_decay_mult: 0, bias_lr_mult: 2, bias_decay_mult: 0.5, dwconv_decay_mult: 0.1, flat_decay_mult: 0.3 };
    const w = buildOptimWrapper(new Net(), { optimizer: { type: 'SGD', lr: 0.1, weight_decay: 0.01 }, paramwise_cfg }, container);
    const g = groupsOf(w);
    expect(g).to.deep.equal({
      scale: { lr: 0.1, weight_decay: 0.01 * 0.3 }, // 1-d: flat
      'backbone.conv.weight': { lr: 0.1, weight_decay: 0.01 },
      'backbone.conv.bias': { lr: 0.2, weight_decay: 0.005 },
      'backbone.bn.weight': { lr: 0.1, weight_decay: 0 }, // norm wins over flat
      'backbone.bn.bias': { lr: 0.1, weight_decay: 0 }, // norm biases get no bias_lr_mult
      'backbone.dw.weight': { lr: 0.1, weight_decay: 0.01 * 0.1 },
      'backbone.dw.bias': { lr: 0.2, weight_decay: 0.005 }, // bias wins over depth-wise
      'backbone.layer1.conv.weight': { lr: 0.1, weight_decay: 0.01 },
      'head.fc.weight': { lr: 0.1, weight_decay: 0.01 },
      'head.fc.bias': { lr: 0.2, weight_decay: 0.005 },
    });
  });

  it('custom_keys: longest key first (ties alphabetical), matched against "<prefix>.<name>", extras copied', () => {
    const paramwise_cfg = {
      bias_lr_mult: 2,
      custom_keys: { backbone: { lr_mult: 0.1 }, 'backbone.layer1': { lr_mult: 0.5, decay_mult: 0 }, '.scale': { decay_mult: 3 }, 'fc.b': { lr_mult: 4 } },
    };
    const w = buildOptimWrapper(new Net(), { optimizer: { type: 'SGD', lr: 1, weight_decay: 0.1 }, paramwise_cfg }, container);
    const g = groupsOf(w);
    expect(g['backbone.layer1.conv.weight']).to.deep.equal({ lr: 0.5, weight_decay: 0, lr_mult: 0.5 });
    expect(g['backbone.conv.bias']).to.deep.equal({ lr: 0.1, weight_decay: 0.1, lr_mult: 0.1 }); // custom key beats bias_lr_mult
    expect(g.scale).to.deep.equal({ lr: 1, weight_decay: 0.30000000000000004 }); // top-level names match as '.scale'
    expect(g['head.fc.bias']).to.deep.equal({ lr: 4, weight_decay: 0.1, lr_mult: 4 });
    expect(g['head.fc.weight']).to.deep.equal({ lr: 1, weight_decay: 0.1 });
  });

  it('decay multipliers need the optimizer weight_decay in the config (mmengine base_wd)', () => {
    const w = buildOptimWrapper(new Net(), { optimizer: { type: 'AdamW', lr: 1 }, paramwise_cfg: { norm_decay_mult: 0 } }, container);
    expect(groupsOf(w)['backbone.bn.weight'].weight_decay).to.equal(0.01); // AdamW's default, unscaled
  });

  it('config errors name the path', () => {
    const net = new Net();
    expect(() => buildOptimWrapper(net, { optimizer: { type: 'SGD', lr: 1, betas: [0.9, 0.99] } }, container, 'optim_wrapper', 'c.py')).to.throw(
      ConfigError,
      /c\.py: optim_wrapper\.optimizer.*'betas'/,
    );
    expect(() => buildOptimWrapper(net, { optimizer: { type: 'SGD', lr: 1 }, paramwise_cfg: { norm_decay: 0 } }, container)).to.throw(ConfigError, /optim_wrapper\.paramwise_cfg.*'norm_decay'/);
    expect(() => buildOptimWrapper(net, { optimizer: { type: 'SGD', lr: 1 }, clip_grad: { max_norm: -1 } }, container)).to.throw(ConfigError, /optim_wrapper\.clip_grad/);
    expect(() => buildOptimWrapper(net, { optimizer: { type: 'Adagrad', lr: 1 } }, container)).to.throw(ConfigError, /optim_wrapper\.optimizer\.type: unknown optimizer type 'Adagrad'/);
    expect(() => buildOptimWrapper(net, { optimizer: { type: 'SGD', lr: 1 }, constructor: 'LayerDecayOptimWrapperConstructor' }, container)).to.throw(ConfigError, /optim_wrapper\.constructor/);
  });

  it('AmpOptimWrapper is refused with a message that says why and what to use', () => {
    expect(() => buildOptimWrapper(new Net(), { type: 'AmpOptimWrapper', optimizer: { type: 'SGD', lr: 1 }, loss_scale: 'dynamic' }, container)).to.throw(
      ConfigError,
      /optim_wrapper\.type: AmpOptimWrapper needs float16 tensors.*use type: 'OptimWrapper'/,
    );
  });
});

describeOnBackends('OptimWrapper updates', (h) => {
  function single(value: number, opts: { accumulative_counts?: number; clip_grad?: object } = {}) {
    const p = new Parameter([2], 'float32', true, Float32Array.of(value, value));
    const opt = new SGD({ lr: 1 });
    opt.setParamGroups([{ params: [{ name: 'w', param: p }] }]);
    return { p, w: new OptimWrapper({ optimizer: opt, ...opts } as never) };
  }
  const now = (p: Parameter) => Array.from(h.read(h.engine.parameter(p)).data as Float32Array);

  it("clip_grad norm: torch's clip_grad_norm_ (one total L2 norm, coefficient max_norm / (norm + 1e-6))", () => {
    h.run(() => {
      const grads = new Map([
        ['a', h.f32([2], [3, 4])],
        ['b', h.f32([1], [12])],
      ]);
      const { grads: out, totalNorm } = clipGradNorm(grads, 6.5);
      expect(totalNorm).to.be.closeTo(13, 1e-5);
      const c = 6.5 / (13 + 1e-6);
      expectTensor(h.read(out.get('a')!), [2], [3 * c, 4 * c], { rtol: 1e-6 });
      expectTensor(h.read(out.get('b')!), [1], [12 * c], { rtol: 1e-6 });
      // under max_norm: unchanged (coefficient clamped to 1); inf and 1 norms
      expect(h.read(clipGradNorm(grads, 100).grads.get('b')!).data[0]).to.equal(12);
      expect(clipGradNorm(grads, 1, 'inf').totalNorm).to.equal(12);
      expect(clipGradNorm(grads, 1, 1).totalNorm).to.equal(19);
      expect(clipGradNorm(grads, 1, 3).totalNorm).to.be.closeTo(Math.cbrt(27 + 64 + 1728), 1e-4);
    });
  });

  it('clip_grad in the wrapper: reports the norm, clips before the step; value clipping', () => {
    h.run(() => {
      const { p, w } = single(0, { clip_grad: { max_norm: 1, norm_type: 2 } });
      const r = w.update(new Map([['w', h.f32([2], [3, 4])]]));
      expect(r.stepped).to.equal(true);
      expect(r.gradNorm).to.be.closeTo(5, 1e-6);
      expectTensor(h.read(h.engine.parameter(p)), [2], [-0.6, -0.8], { rtol: 1e-5 });
      const v = single(0, { clip_grad: { type: 'value', clip_value: 0.5 } });
      v.w.update(new Map([['w', h.f32([2], [3, -0.25])]]));
      expect(now(v.p)).to.deep.equal([-0.5, 0.25]);
    });
  });

  it('accumulative_counts 3 over 7 updates: steps at 3, 6 and 7; the last window is averaged over its own length', () => {
    h.run(() => {
      const { p, w } = single(0, { accumulative_counts: 3 });
      w.initializeCountStatus(0, 7);
      const g = [1, 2, 3, 4, 5, 6, 7];
      const trace: number[] = [];
      const factors: number[] = [];
      for (const x of g) {
        factors.push(w.lossFactor);
        const r = w.update(new Map([['w', h.f32([2], [x, -x])]]));
        trace.push(r.stepped ? now(p)[0] : NaN);
      }
      expect(factors).to.deep.equal([3, 3, 3, 3, 3, 3, 1]);
      // sums / 3: (1+2+3)/3 = 2, (4+5+6)/3 = 5, then 7/1
      expect(trace.map((t) => (Number.isNaN(t) ? null : t))).to.deep.equal([null, null, -2, null, null, -7, -14]);
      expect(now(p)[1]).to.equal(14);
    });
  });

  it('accumulation without a count status divides by accumulative_counts; resumed counts continue the window', () => {
    h.run(() => {
      const { p, w } = single(0, { accumulative_counts: 2 });
      expect(w.lossFactor).to.equal(2);
      w.update(new Map([['w', h.f32([2], [2, 2])]]));
      expect(now(p)).to.deep.equal([0, 0]);
      w.update(new Map([['w', h.f32([2], [4, 4])]]));
      expect(now(p)).to.deep.equal([-3, -3]);
      const resumed = single(0, { accumulative_counts: 2 });
      resumed.w.initializeCountStatus(4, 10);
      expect(resumed.w.update(new Map([['w', h.f32([2], [1, 1])]])).stepped).to.equal(false);
      expect(resumed.w.update(new Map([['w', h.f32([2], [1, 1])]])).stepped).to.equal(true);
      expect(resumed.w.count).to.equal(6);
    });
  });

  it('a gradient for a parameter no group holds is a bug, reported with its name', () => {
    h.run(() => {
      const { w } = single(0);
      expect(() => w.update(new Map([['nope', h.f32([2], [1, 1])]]))).to.throw(/'nope'/);
    });
  });

  it('getLr and getMomentum (Adam: beta1)', () => {
    const { w } = single(0);
    expect(w.getLr()).to.deep.equal([1]);
    expect(w.getMomentum()).to.deep.equal([0]);
    const adam = buildOptimWrapper(new Net(), { optimizer: { type: 'Adam', lr: 0.5, betas: [0.8, 0.9] } }, container);
    expect(adam.getMomentum()).to.deep.equal([0.8]);
  });
});
