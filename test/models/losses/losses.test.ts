/**
 * The losses on hand-computed values, their option errors, and their gradients with respect
 * to the prediction against central finite differences on the tfjs engine.
 */
import { expect } from 'chai';
import '../../../src/components';
import { ConfigError } from '../../../src/core/errors';
import { hostTensor } from '../../../src/core/host-tensor';
import type { Module } from '../../../src/core/module';
import type { Tensor } from '../../../src/core/tensor';
import { CrossEntropyLoss } from '../../../src/models/losses/cross-entropy-loss';
import { FocalLoss } from '../../../src/models/losses/focal-loss';
import { GIoULoss } from '../../../src/models/losses/giou-loss';
import { IoULoss } from '../../../src/models/losses/iou-loss';
import { KeypointMSELoss } from '../../../src/models/losses/keypoint-mse-loss';
import { L1Loss } from '../../../src/models/losses/l1-loss';
import { LabelSmoothLoss } from '../../../src/models/losses/label-smooth-loss';
import { SmoothL1Loss } from '../../../src/models/losses/smooth-l1-loss';
import { build } from '../../../src/registry/container';
import { LOSSES } from '../../../src/registry/registries';
import { describeOnBackends } from '../../core/helpers/backends';
import { expectTensor } from '../../core/helpers/expect-tensor';
import { expectGradient, randomHost } from '../../engines/tfjs/helpers/finite-difference';

const ln = Math.log;

describe('losses: options', () => {
  const cfgError = (cfg: Record<string, unknown>, pattern: RegExp) => {
    const err = (() => {
      try {
        build(LOSSES, cfg, { path: 'model.head.loss_cls' });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.match(pattern);
  };

  it('every loss is registered under its mm* name', () => {
    for (const name of ['CrossEntropyLoss', 'FocalLoss', 'L1Loss', 'SmoothL1Loss', 'IoULoss', 'GIoULoss', 'KeypointMSELoss', 'LabelSmoothLoss']) {
      expect(LOSSES.has(name), name).to.equal(true);
    }
  });

  it('takes mm* defaults', () => {
    const ce = build(LOSSES, { type: 'CrossEntropyLoss' }) as CrossEntropyLoss;
    expect([ce.useSigmoid, ce.useMask, ce.reduction, ce.lossWeight, ce.ignoreIndex, ce.avgNonIgnore, ce.lossName]).to.deep.equal([
      false, false, 'mean', 1, null, false, 'loss_ce',
    ]);
    const focal = build(LOSSES, { type: 'FocalLoss' }) as FocalLoss;
    expect([focal.gamma, focal.alpha, focal.reduction, focal.activated]).to.deep.equal([2, 0.25, 'mean', false]);
    expect((build(LOSSES, { type: 'SmoothL1Loss' }) as SmoothL1Loss).beta).to.equal(1);
    const iou = build(LOSSES, { type: 'IoULoss' }) as IoULoss;
    expect([iou.mode, iou.eps]).to.deep.equal(['log', 1e-6]);
    expect((build(LOSSES, { type: 'IoULoss', linear: true }) as IoULoss).mode).to.equal('linear');
    const ls = build(LOSSES, { type: 'LabelSmoothLoss', label_smooth_val: 0.1 }) as LabelSmoothLoss;
    expect([ls.mode, ls.useSigmoid, ls.eps, ls.numClasses, ls.reduction]).to.deep.equal(['original', false, 0.1, null, 'mean']);
    const multi = build(LOSSES, { type: 'LabelSmoothLoss', label_smooth_val: 0.1, mode: 'multi_label' }) as LabelSmoothLoss;
    expect(multi.useSigmoid).to.equal(true);
    const kp = build(LOSSES, { type: 'KeypointMSELoss' }) as KeypointMSELoss;
    expect([kp.useTargetWeight, kp.skipEmptyChannel, kp.lossWeight]).to.deep.equal([false, false, 1]);
  });

  it('refuses options that would be ignored or contradict, naming the config path', () => {
    cfgError({ type: 'FocalLoss', use_sigmoid: false }, /model\.head\.loss_cls\.use_sigmoid: only the sigmoid focal loss/);
    cfgError({ type: 'CrossEntropyLoss', use_sigmoid: true, use_mask: true }, /loss_cls\.use_mask: use_sigmoid and use_mask/);
    cfgError({ type: 'CrossEntropyLoss', use_mask: true, reduction: 'sum' }, /loss_cls\.reduction: use_mask averages/);
    cfgError({ type: 'CrossEntropyLoss', use_mask: true, ignore_index: 255 }, /loss_cls\.ignore_index/);
    cfgError({ type: 'CrossEntropyLoss', use_soft: true }, /use_soft/);
    cfgError({ type: 'SmoothL1Loss', beta: 0 }, /loss_cls\.beta/);
    cfgError({ type: 'IoULoss', mode: 'cube' }, /loss_cls\.mode/);
    cfgError({ type: 'L1Loss', reduction: 'avg' }, /loss_cls\.reduction/);
    cfgError({ type: 'LabelSmoothLoss', label_smooth_val: 1 }, /loss_cls\.label_smooth_val/);
    cfgError({ type: 'LabelSmoothLoss' }, /loss_cls\.label_smooth_val/);
  });
});

describeOnBackends('losses: hand-computed values', (h) => {
  const val = (f: () => Tensor) => h.read(h.run(f));

  it('softmax cross entropy: -log softmax at the label, ignored labels count in the mean', () => {
    const ce = new CrossEntropyLoss();
    const logits = () => h.f32([2, 2], [0, ln(3), 5, -5]);
    // row 0: p(label 1) = 3/4; row 1 ignored (-100) but still divides the mean, as mmdet
    expectTensor(val(() => ce.forward(logits(), h.i32([2], [1, -100]))), [], [-ln(0.75) / 2]);
    const avg = new CrossEntropyLoss({ avg_non_ignore: true });
    expectTensor(val(() => avg.forward(logits(), h.i32([2], [1, -100]))), [], [-ln(0.75)]);
  });

  it('sigmoid cross entropy: ln 2 per element at logit 0; the background label has an all-zero target row', () => {
    const ce = new CrossEntropyLoss({ use_sigmoid: true, reduction: 'none' });
    const out = val(() => ce.forward(h.f32([2, 2], [0, 0, 0, 0]), h.i32([2], [1, 2])));
    expectTensor(out, [2, 2], [ln(2), ln(2), ln(2), ln(2)]);
    const big = val(() => ce.forward(h.f32([1, 2], [-30, 30]), h.i32([1], [1])));
    expectTensor(big, [1, 2], [Math.log1p(Math.exp(-30)), Math.log1p(Math.exp(-30))], { atol: 1e-12, rtol: 1e-4 });
    // targets shaped like the logits: elements equal to ignore_index (or negative) weigh 0, soft values count
    const soft = new CrossEntropyLoss({ use_sigmoid: true, ignore_index: 0 });
    expectTensor(val(() => soft.forward(h.f32([1, 3], [0, 0, 0]), h.f32([1, 3], [0.5, 0, -1]))), [], [ln(2) / 3]);
  });

  it('mask cross entropy scores each RoI on its label channel', () => {
    const ce = new CrossEntropyLoss({ use_mask: true });
    // RoI 0 of class 1: its channel is logit 0 everywhere → ln 2; channel 0 (large) is not used
    const pred = h.f32([1, 2, 1, 2], [50, 50, 0, 0]);
    expectTensor(val(() => ce.forward(pred, h.f32([1, 1, 2], [1, 0]), { labels: h.i32([1], [1]) })), [], [ln(2)]);
    expect(() => h.run(() => ce.forward(pred, h.f32([1, 1, 2], [1, 0])))).to.throw(/needs the RoI labels/);
  });

  it('focal loss: BCE · α_t · pt^γ', () => {
    const focal = new FocalLoss({ reduction: 'none' });
    // logit 0 → p = 0.5; positive column: 0.25 · 0.5² · ln 2, negative column: 0.75 · 0.5² · ln 2
    expectTensor(val(() => focal.forward(h.f32([1, 2], [0, 0]), h.i32([1], [0]))), [1, 2], [0.0625 * ln(2), 0.1875 * ln(2)]);
    const p = new FocalLoss({ reduction: 'none', activated: true, gamma: 1, alpha: 0.5 });
    expectTensor(val(() => p.forward(h.f32([1, 1], [0.8]), h.i32([1], [0]))), [1, 1], [0.5 * 0.2 * -ln(0.8)]);
  });

  it('L1 and smooth L1 (quadratic below beta, linear above)', () => {
    const pred = () => h.f32([3], [0.5, 2, -1]);
    const zero = () => h.f32([3], [0, 0, 0]);
    expectTensor(val(() => new L1Loss({ reduction: 'sum' }).forward(pred(), zero())), [], [3.5]);
    expectTensor(val(() => new SmoothL1Loss({ reduction: 'none' }).forward(pred(), zero())), [3], [0.125, 1.5, 0.5]);
    expectTensor(val(() => new SmoothL1Loss({ beta: 4, reduction: 'none' }).forward(pred(), zero())), [3], [0.25 / 8, 0.5, 0.125]);
  });

  it('an empty weight or target gives 0 (nothing to regress), not NaN', () => {
    const empty = () => h.f32([0, 4], []);
    expectTensor(val(() => new L1Loss().forward(empty(), empty(), { weight: h.f32([0], []) })), [], [0]);
    expectTensor(val(() => new SmoothL1Loss().forward(empty(), empty())), [], [0]);
    expectTensor(val(() => new GIoULoss().forward(empty(), empty(), { weight: h.f32([0], []) })), [], [0]);
    // IoU losses keep reduction 'none' on the regular path: an empty loss, not a scalar
    expectTensor(val(() => new IoULoss().forward(empty(), empty(), { weight: h.f32([0], []), reductionOverride: 'none' })), [0], []);
  });

  it('IoU losses on boxes [0,0,2,2] and [1,1,3,3]: IoU 1/7, enclosing area 9', () => {
    const a = () => h.f32([1, 4], [0, 0, 2, 2]);
    const b = () => h.f32([1, 4], [1, 1, 3, 3]);
    const iou = 1 / 7;
    expectTensor(val(() => new IoULoss().forward(a(), b())), [], [ln(7)]);
    expectTensor(val(() => new IoULoss({ mode: 'linear' }).forward(a(), b())), [], [1 - iou]);
    expectTensor(val(() => new IoULoss({ mode: 'square' }).forward(a(), b())), [], [1 - iou * iou]);
    expectTensor(val(() => new GIoULoss().forward(a(), b())), [], [1 - (iou - 2 / 9)]);
    // disjoint boxes: IoU clamps to eps, so the log loss is -log(eps)
    const far = () => h.f32([1, 4], [10, 10, 11, 11]);
    expectTensor(val(() => new IoULoss({ eps: 1e-3 }).forward(a(), far())), [], [-ln(1e-3)]);
  });

  it('label smoothing: (1 - ε) y + ε / C against softmax scores; num_classes must match', () => {
    const ls = new LabelSmoothLoss({ label_smooth_val: 0.2, reduction: 'none' });
    // scores [0, ln 3]: softmax [1/4, 3/4]; label 0 with ε 0.2 over 2 classes → target [0.9, 0.1]
    expectTensor(val(() => ls.forward(h.f32([1, 2], [0, ln(3)]), h.i32([1], [0]))), [1], [-(0.9 * ln(0.25) + 0.1 * ln(0.75))]);
    const wrong = new LabelSmoothLoss({ label_smooth_val: 0.2, num_classes: 3 });
    expect(() => h.run(() => wrong.forward(h.f32([1, 2], [3, 3]), h.i32([1], [0])))).to.throw(/num_classes is 3/);
  });

  it('keypoint MSE: mean over every element of the masked squared error', () => {
    const out = () => h.f32([1, 2, 1, 2], [1, 1, 2, 2]);
    const tgt = () => h.f32([1, 2, 1, 2], [0, 0, 1, 0]);
    expectTensor(val(() => new KeypointMSELoss().forward(out(), tgt())), [], [(1 + 1 + 1 + 4) / 4]);
    const weighted = new KeypointMSELoss({ use_target_weight: true });
    expectTensor(val(() => weighted.forward(out(), tgt(), h.f32([1, 2], [0, 1]))), [], [5 / 4]);
    const skip = new KeypointMSELoss({ skip_empty_channel: true });
    expectTensor(val(() => skip.forward(out(), tgt())), [], [5 / 4]);
    expect(() => h.run(() => weighted.forward(out(), tgt()))).to.throw(/no target weights/);
  });
});

describeOnBackends('losses: gradients against finite differences', (h) => {
  const check = (loss: Module & { forward: (...a: never[]) => Tensor }, pred: ReturnType<typeof randomHost>, rest: (() => unknown)[]) =>
    expectGradient(h.engine, {
      f: (p) => (loss.forward as (...a: unknown[]) => Tensor)(p, ...rest.map((r) => r())),
      inputs: [pred],
      eps: 1e-2,
    });
  const labels = (v: number[]) => () => h.i32([v.length], v);
  const boxes = (seed: number) =>
    randomHost([4, 4], seed, (v, i) => (i % 4 < 2 ? 3 * (i % 2) + v * 0.3 : 5 + 3 * (i % 2) + v * 0.3));

  it('cross entropy: softmax (class weights, ignore), sigmoid, mask', () => {
    check(new CrossEntropyLoss({ class_weight: [1, 2, 0.5] }), randomHost([4, 3], 1), [labels([0, 2, -100, 1])]);
    check(new CrossEntropyLoss({ use_sigmoid: true, class_weight: [1, 2, 0.5] }), randomHost([4, 3], 2), [labels([0, 3, 2, 1])]);
    const target = hostTensor('float32', [2, 2, 2], Float32Array.from([1, 0, 0, 1, 1, 1, 0, 0]));
    check(new CrossEntropyLoss({ use_mask: true }), randomHost([2, 3, 2, 2], 3), [() => h.engine.constant(target), () => ({ labels: labels([2, 0])() })]);
  });

  it('focal loss, from logits and from probabilities', () => {
    check(new FocalLoss(), randomHost([4, 3], 4, (v) => 2 * v), [labels([0, 3, 2, 1])]);
    check(new FocalLoss({ activated: true }), randomHost([4, 3], 5, (v) => 0.5 + 0.3 * Math.tanh(v)), [labels([0, 3, 2, 1])]);
  });

  it('L1 and smooth L1 away from their kinks', () => {
    const target = () => h.f32([2, 4], [0, 0, 0, 0, 0, 0, 0, 0]);
    const pred = randomHost([2, 4], 6, (v) => Math.sign(v) * (0.2 + Math.abs(v)));
    check(new L1Loss(), pred, [target]);
    check(new SmoothL1Loss({ beta: 0.1 }), pred, [target]);
    check(new SmoothL1Loss({ beta: 5 }), pred, [target]);
  });

  it('IoU (every mode) and GIoU on partly overlapping boxes', () => {
    const target = () => h.engine.constant(boxes(7));
    for (const mode of ['linear', 'square', 'log'] as const) check(new IoULoss({ mode }), boxes(8), [target]);
    check(new GIoULoss(), boxes(9), [target]);
  });

  it('label smoothing, softmax and sigmoid', () => {
    check(new LabelSmoothLoss({ label_smooth_val: 0.1 }), randomHost([3, 4], 12), [labels([0, 3, 1])]);
    check(new LabelSmoothLoss({ label_smooth_val: 0.1, mode: 'multi_label' }), randomHost([3, 4], 13), [() => h.f32([3, 4], [1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1])]);
  });

  it('keypoint MSE with target weights', () => {
    const target = () => h.engine.constant(randomHost([2, 2, 3, 3], 10));
    check(new KeypointMSELoss({ use_target_weight: true }), randomHost([2, 2, 3, 3], 11), [target, () => h.f32([2, 2], [1, 0.5, 0, 1])]);
  });
});
