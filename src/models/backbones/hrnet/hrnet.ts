import { Backbone, type ShapeSpec } from '../backbone';
import type { Module } from '../../../core/module';
import { ConfigError } from '../../../core/errors';
import type { InitCfg } from '../../../nn/init/init-cfg';
import * as F from '../../../core/ops';
import { Conv2d } from '../../../nn/conv2d';
import { BatchNorm2d } from '../../../nn/batch-norm2d';
import { Identity, ModuleList, Sequential, type TensorModule } from '../../../nn/containers';
import { ReLU } from '../../../nn/activations';
import { buildNormLayer, type NormConfig } from '../../../nn/norm';
import { constantInit } from '../../../nn/init/initializers';
import type { Tensor } from '../../../core/tensor';
import { BACKBONES } from '../../../registry/registries';
import type { BuildContext } from '../../../registry/build-context';
import { ResLayer } from '../../../nn/blocks/res-layer';
import { ResidualBlock } from '../../../nn/blocks/residual-block';
import { HRModule, type FusionUpsample } from './hr-module';
import { BLOCKS, hrnetSchema, type HRNetOptions, type StageConfig } from './hrnet-options';

type StageName = 'stage2' | 'stage3' | 'stage4';

/** mmdetection's HRNet init_cfg when none is given: Kaiming-normal (fan_out, ReLU) convs, unit norms. */
export const HRNET_DEFAULT_INIT: InitCfg = [
  { type: 'Kaiming', layer: 'Conv2d' },
  { type: 'Constant', val: 1, layer: ['_BatchNorm', 'GroupNorm'] },
];

/**
 * HRNet (mmdetection's `HRNet` backbone; the same network as the official pose_hrnet,
 * seg_hrnet and cls_hrnet bodies). Stem: two stride-2 3x3 convs to 64 channels; `layer1`:
 * stage 1's residual blocks; then three stages of multi-resolution modules, each preceded by
 * a transition that adds a half-resolution branch. Outputs the stage-4 branches (strides 4,
 * 8, 16, 32), or only the highest-resolution one with `multiscale_output: false` (HRNetV1).
 *
 * Family differences are options: `upsample_cfg` (nearest by a factor for pose/cls/mmdet,
 * bilinear to the exact size for seg/mmseg) and `transition_input`.
 */
export class HRNet extends Backbone {
  readonly conv1: Conv2d;
  readonly norm1: TensorModule;
  readonly conv2: Conv2d;
  readonly norm2: TensorModule;
  readonly layer1: ResLayer;
  readonly transitions: ModuleList<TensorModule>[] = [];
  readonly stages: ModuleList<HRModule>[] = [];
  readonly inChannels: number;
  readonly normEval: boolean;
  readonly frozenStages: number;
  readonly zeroInitResidual: boolean;
  /** zero_init_residual with the default init_cfg (an explicit init_cfg replaces both, as in mmdet). */
  private readonly zeroInitBlocks: boolean;
  private readonly transitionInput: HRNetOptions['transition_input'];
  private readonly outChannels: number[];

  constructor(o: HRNetOptions, ctx?: BuildContext) {
    super();
    const normCfg = o.norm_cfg as NormConfig;
    const stage4 = o.extra.stage4;
    const multiscale = stage4.multiscale_output ?? o.multiscale_output;
    const upsample: FusionUpsample = { mode: o.upsample_cfg.mode, alignCorners: o.upsample_cfg.align_corners ?? false };
    this.inChannels = o.in_channels;
    this.normEval = o.norm_eval;
    this.frozenStages = o.frozen_stages;
    this.zeroInitResidual = o.zero_init_residual;
    this.transitionInput = o.transition_input;
    if (o.pretrained && o.init_cfg != null) {
      const detail = "init_cfg and pretrained cannot both be set; keep init_cfg: {type: 'Pretrained', checkpoint: ...}";
      throw ctx ? ctx.error('pretrained', detail) : new ConfigError('pretrained', detail);
    }
    this.initCfg = o.pretrained ? { type: 'Pretrained', checkpoint: o.pretrained } : (o.init_cfg ?? HRNET_DEFAULT_INIT);
    this.zeroInitBlocks = o.zero_init_residual && !o.pretrained && o.init_cfg == null;

    this.conv1 = this.addModule('conv1', new Conv2d(o.in_channels, 64, 3, { stride: 2, padding: 1, bias: false }));
    this.norm1 = this.addModule(...buildNormLayer(normCfg, 64, 1));
    this.conv2 = this.addModule('conv2', new Conv2d(64, 64, 3, { stride: 2, padding: 1, bias: false }));
    this.norm2 = this.addModule(...buildNormLayer(normCfg, 64, 2));

    // stage 1 reads only the first entry of its lists, as every HRNet implementation does
    const s1 = o.extra.stage1;
    this.layer1 = this.addModule('layer1', new ResLayer(BLOCKS[s1.block], 64, s1.num_channels[0], s1.num_blocks[0], { normCfg }));
    let pre = [this.layer1.outChannels];

    (['stage2', 'stage3', 'stage4'] as const).forEach((name, s) => {
      const cfg: StageConfig = o.extra[name];
      const cur = cfg.num_channels.map((c) => c * BLOCKS[cfg.block].expansion);
      this.checkTransition(pre, cur, name, ctx);
      this.transitions.push(this.addModule(`transition${s + 1}`, makeTransition(pre, cur, normCfg)));
      const stage = makeStage(cfg, cur, name === 'stage4' ? multiscale : true, normCfg, upsample);
      this.stages.push(this.addModule(name, stage));
      pre = stage.at(stage.length - 1).outChannels;
    });
    this.outChannels = multiscale ? pre : pre.slice(0, 1);
    this.freezeStages();
  }

  /** With `last_branch` a width-changing transition is only shape-valid on the last previous branch. */
  private checkTransition(pre: number[], cur: number[], stage: StageName, ctx?: BuildContext): void {
    if (this.transitionInput !== 'last_branch') return;
    for (let i = 0; i < Math.min(pre.length, cur.length); i++) {
      if (pre[i] !== cur[i] && i !== pre.length - 1) {
        const detail =
          `branch ${i} changes width (${pre[i]} -> ${cur[i]}) at the transition into ${stage}, but with ` +
          `transition_input 'last_branch' that transition reads the last branch (${pre[pre.length - 1]} channels, another resolution); ` +
          `keep the width or set transition_input: 'same_branch'`;
        if (ctx) throw ctx.error(`extra.${stage}.num_channels`, detail);
        throw new Error(detail);
      }
    }
  }

  outputShape(): ShapeSpec[] {
    return this.outChannels.map((channels, i) => ({ channels, stride: 4 * 2 ** i }));
  }

  forward(x: Tensor): Tensor[] {
    return this.run(x);
  }

  /**
   * The forward pass with its landmarks recorded under the reference fixtures' names:
   * `stem`, `layer1`, `stage{2,3,4}.{i}`.
   */
  forwardIntermediates(x: Tensor): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    this.run(x, out);
    return out;
  }

  private run(x: Tensor, record?: Map<string, Tensor>): Tensor[] {
    let y = F.relu(this.norm1.forward(this.conv1.forward(x)));
    y = F.relu(this.norm2.forward(this.conv2.forward(y)));
    record?.set('stem', y);
    y = this.layer1.forward(y);
    record?.set('layer1', y);
    let ys = [y];
    this.stages.forEach((stage, s) => {
      let xs = this.applyTransition(this.transitions[s], ys);
      for (const m of stage) xs = m.forward(xs);
      ys = xs;
      ys.forEach((t, i) => record?.set(`stage${s + 2}.${i}`, t));
    });
    return ys;
  }

  private applyTransition(t: ModuleList<TensorModule>, ys: Tensor[]): Tensor[] {
    const last = ys[ys.length - 1];
    return Array.from({ length: t.length }, (_, i) => {
      const layer = t.at(i);
      if (layer instanceof Identity) return ys[i];
      if (i >= ys.length) return layer.forward(last);
      return layer.forward(this.transitionInput === 'same_branch' ? ys[i] : last);
    });
  }

  // --- training-time behaviour ---------------------------------------------------------------

  /** Modules of the first `frozen_stages` stages (0 = the stem), as mmseg/mmpose freeze them. */
  private frozenModules(): Module[] {
    if (this.frozenStages < 0) return [];
    const mods: Module[] = [this.conv1, this.norm1, this.conv2, this.norm2];
    for (let i = 1; i <= this.frozenStages; i++) {
      mods.push(i === 1 ? this.layer1 : this.stages[i - 2]);
      if (i < 4) mods.push(this.transitions[i - 1]);
    }
    return mods;
  }

  private freezeStages(): void {
    for (const m of this.frozenModules()) {
      for (const [, p] of m.namedParameters()) (p as { requiresGrad: boolean }).requiresGrad = false;
    }
  }

  /** norm_eval and frozen stages keep their BatchNorms on running statistics in training. */
  protected override afterModeChange(): void {
    const frozen = new Set<Module>();
    for (const m of this.frozenModules()) for (const [, c] of m.namedModules()) frozen.add(c);
    for (const [, m] of this.namedModules()) {
      if (m instanceof BatchNorm2d) m.frozen = frozen.has(m) || (this.training && this.normEval);
    }
  }

  /**
   * zero_init_residual: the last norm of every residual block starts at 0, so blocks start as
   * identities. mmdetection 3's HRNet documents this but never applies it (its check
   * `not hasattr(self, 'init_cfg')` is always false); hrdet does what the option says, like
   * ResNet, and like ResNet only when no init_cfg replaces the defaults.
   */
  override defaultInit(): void {
    if (!this.zeroInitBlocks) return;
    for (const [, m] of this.namedModules()) {
      if (!(m instanceof ResidualBlock)) continue;
      const w = m.lastNorm.ownParameter('weight');
      const b = m.lastNorm.ownParameter('bias');
      if (w) constantInit(w, 0);
      if (b) constantInit(b, 0);
    }
  }
}

/**
 * Transition from the previous stage's branch widths to the next stage's: an existing branch
 * whose width changes gets conv3x3 s1 → norm → ReLU (identity otherwise); each new branch a
 * chain of conv3x3 s2 → norm → ReLU steps from the last branch, only the last step changing
 * the width. Keys: `{i}.{0,1}` and `{i}.{k}.{0,1}`.
 */
function makeTransition(pre: number[], cur: number[], normCfg: NormConfig): ModuleList<TensorModule> {
  const layers = new ModuleList<TensorModule>();
  const unit = (cin: number, cout: number, stride: number) =>
    new Sequential(new Conv2d(cin, cout, 3, { stride, padding: 1, bias: false }), buildNormLayer(normCfg, cout)[1], new ReLU());
  for (let i = 0; i < cur.length; i++) {
    if (i < pre.length) {
      layers.push(cur[i] !== pre[i] ? unit(pre[i], cur[i], 1) : new Identity());
      continue;
    }
    const chain = new Sequential();
    const steps = i + 1 - pre.length;
    const cin = pre[pre.length - 1];
    for (let k = 0; k < steps; k++) chain.append(unit(cin, k === steps - 1 ? cur[i] : cin, 2));
    layers.push(chain);
  }
  return layers;
}

function makeStage(
  cfg: StageConfig,
  inChannels: number[],
  multiscaleOutput: boolean,
  normCfg: NormConfig,
  upsample: FusionUpsample,
): ModuleList<HRModule> {
  const modules = new ModuleList<HRModule>();
  let channels = inChannels;
  for (let m = 0; m < cfg.num_modules; m++) {
    const mod = new HRModule({
      block: BLOCKS[cfg.block],
      numBlocks: cfg.num_blocks,
      inChannels: channels,
      numChannels: cfg.num_channels,
      // only the stage's last module may fuse into the highest resolution alone
      multiscaleOutput: multiscaleOutput || m < cfg.num_modules - 1,
      normCfg,
      upsample,
    });
    modules.push(mod);
    channels = mod.outChannels;
  }
  return modules;
}

BACKBONES.register(hrnetSchema, (o: HRNetOptions, ctx: BuildContext) => new HRNet(o, ctx), {
  name: 'HRNet',
  summary: 'High-Resolution Network (HRNetV1/V2 body): parallel multi-resolution branches with repeated fusion',
});

// typed TS configs: `{ type: 'HRNet', ... }` completes and checks these options
declare module '../../../config/config-types' {
  interface BackboneOptionsMap {
    HRNet: import('zod').input<typeof hrnetSchema>;
  }
}
