import { z } from 'zod';
import { Backbone, type ShapeSpec } from './backbone';
import { ConfigError } from '../../core/errors';
import * as F from '../../core/ops';
import type { Module } from '../../core/module';
import type { Tensor } from '../../core/tensor';
import { BatchNorm2d } from '../../nn/batch-norm2d';
import { Conv2d } from '../../nn/conv2d';
import { ReLU } from '../../nn/activations';
import { Sequential, type TensorModule } from '../../nn/containers';
import { buildNormLayer, type NormConfig } from '../../nn/norm';
import type { InitCfg } from '../../nn/init/init-cfg';
import { BACKBONES } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { convCfg, initCfg, normCfg } from '../../nn/option-schemas';
import { BasicBlock } from '../../nn/blocks/basic-block';
import { Bottleneck } from '../../nn/blocks/bottleneck';
import { ResLayer } from '../../nn/blocks/res-layer';
import type { ResidualBlockClass } from '../../nn/blocks/residual-block';

/** Block type and blocks per stage of each depth (He et al. 2016, Table 1). */
export const RESNET_ARCH: Readonly<Record<number, readonly [ResidualBlockClass, readonly number[]]>> = {
  18: [BasicBlock, [2, 2, 2, 2]],
  34: [BasicBlock, [3, 4, 6, 3]],
  50: [Bottleneck, [3, 4, 6, 3]],
  101: [Bottleneck, [3, 4, 23, 3]],
  152: [Bottleneck, [3, 8, 36, 3]],
};

const intList = z.array(z.number().int());

/** mmdetection 3 ResNet options (DCN and plugins are recognised so they can be refused clearly). */
export const resnetOptionShape = {
  depth: z.number().int(),
  in_channels: z.number().int().positive().default(3),
  stem_channels: z.number().int().positive().nullable().optional(),
  base_channels: z.number().int().positive().default(64),
  num_stages: z.number().int().min(1).max(4).default(4),
  strides: intList.optional(),
  dilations: intList.optional(),
  out_indices: intList.optional(),
  style: z.enum(['pytorch', 'caffe']).default('pytorch'),
  deep_stem: z.boolean().default(false),
  avg_down: z.boolean().default(false),
  frozen_stages: z.number().int().default(-1),
  conv_cfg: convCfg,
  norm_cfg: normCfg.default({ type: 'BN', requires_grad: true }),
  norm_eval: z.boolean().default(true),
  dcn: z.unknown().optional(),
  stage_with_dcn: z.array(z.boolean()).optional(),
  plugins: z.unknown().optional(),
  with_cp: z.boolean().default(false),
  zero_init_residual: z.boolean().default(true),
  pretrained: z.unknown().optional(),
  init_cfg: initCfg.nullable(),
};
export const resnetOptions = z.object(resnetOptionShape).strict();
export type ResNetOptions = z.input<typeof resnetOptions>;
type Parsed = z.output<typeof resnetOptions>;

/** mmdetection's ResNet init_cfg when none is given: Kaiming-normal (fan_out, ReLU) convs, unit norms. */
export const RESNET_DEFAULT_INIT: InitCfg = [
  { type: 'Kaiming', layer: 'Conv2d' },
  { type: 'Constant', val: 1, layer: ['_BatchNorm', 'GroupNorm'] },
];

/** ResNeXt's additions to the block arguments (groups 1 = plain ResNet). */
export interface GroupedWidth {
  groups: number;
  baseWidth: number;
}

/**
 * ResNet backbone as mmdetection 3 builds it: stem (7x7 s2 conv, or the three 3x3 convs of
 * `deep_stem`) → 3x3 s2 max pool → up to four stages `layer1..layer4`. Returns the stages
 * listed in `out_indices`, finest first. Keys: conv1.weight, bn1.*, layer1.0.conv1.weight, ...
 */
export class ResNet extends Backbone {
  readonly inChannels: number;
  readonly depth: number;
  private readonly opts: Parsed;
  private readonly strides: number[];
  private readonly outIndices: number[];
  private readonly stem: Sequential | null = null;
  private readonly conv1: Conv2d | null = null;
  private readonly norm1: TensorModule | null = null;
  private readonly layers: ResLayer[] = [];
  private readonly stageChannels: number[] = [];

  constructor(options: ResNetOptions, ctx?: BuildContext, grouped: GroupedWidth = { groups: 1, baseWidth: 4 }) {
    super();
    const o = resnetOptions.parse(options);
    const fail: Fail = (key, detail) => (ctx ? ctx.error(key, detail) : new ConfigError(key, detail));
    const arch = RESNET_ARCH[o.depth];
    if (!arch) throw fail('depth', `expected one of ${Object.keys(RESNET_ARCH).join(', ')}, got ${o.depth}`);
    refuseUnsupported(o, fail);
    const plan = planStages(o, fail);
    this.opts = o;
    this.depth = o.depth;
    this.inChannels = o.in_channels;
    this.initCfg = o.init_cfg ?? RESNET_DEFAULT_INIT;
    this.strides = plan.strides;
    this.outIndices = plan.outIndices;

    if (o.deep_stem) this.stem = this.addModule('stem', deepStem(o.in_channels, plan.stemChannels, o.norm_cfg));
    else {
      this.conv1 = this.addModule('conv1', new Conv2d(o.in_channels, plan.stemChannels, 7, { stride: 2, padding: 3, bias: false }));
      this.norm1 = this.addModule(...buildNormLayer(o.norm_cfg, plan.stemChannels, 1));
    }
    const [block, blocksPerStage] = arch;
    let inplanes = plan.stemChannels;
    blocksPerStage.slice(0, o.num_stages).forEach((numBlocks, i) => {
      const layer = new ResLayer(block, inplanes, o.base_channels * 2 ** i, numBlocks, {
        stride: plan.strides[i],
        dilation: plan.dilations[i],
        style: o.style,
        avgDown: o.avg_down,
        normCfg: o.norm_cfg,
        groups: grouped.groups,
        baseWidth: grouped.baseWidth,
        baseChannels: o.base_channels,
      });
      this.layers.push(this.addModule(`layer${i + 1}`, layer));
      this.stageChannels.push(layer.outChannels);
      inplanes = layer.outChannels;
    });
    if (o.init_cfg == null && o.zero_init_residual) this.zeroInitBlocks();
    this.freezeStages();
    this.afterModeChange();
  }

  /**
   * torchvision's ResNet/ResNeXt checkpoints (`torchvision://resnet50`) already use these key
   * names (rules relative to this backbone); their classifier `fc.*` matches none.
   */
  officialKeyMap(): { from: string; to: string }[] {
    return [...this.children()].map(([name]) => ({ from: `${name}.`, to: `${name}.` }));
  }

  /** Expansion × base width of the last built stage (mmdet's feat_dim). */
  get featDim(): number {
    return this.stageChannels[this.stageChannels.length - 1];
  }

  outputShape(): ShapeSpec[] {
    return this.outIndices.map((i) => ({ channels: this.stageChannels[i], stride: this.stageStride(i) }));
  }

  /** Stride of stage i's output relative to the input: 4 from the stem and pool, then the stage strides. */
  stageStride(i: number): number {
    return this.strides.slice(0, i + 1).reduce((a, s) => a * s, 4);
  }

  forward(x: Tensor): Tensor[] {
    let y = this.stem ? this.stem.forward(x) : F.relu(this.norm1!.forward(this.conv1!.forward(x)));
    y = F.maxPool2d(y, 3, { stride: 2, padding: 1 });
    const outs: Tensor[] = [];
    // stages after the last requested output cannot change any output, so they are not run
    const last = this.outIndices[this.outIndices.length - 1];
    for (let i = 0; i <= last; i++) {
      y = this.layers[i].forward(y);
      if (this.outIndices.includes(i)) outs.push(y);
    }
    return outs;
  }

  /**
   * mmdet's zero_init_residual: each block's init_cfg zeroes its last norm (weight and bias),
   * so blocks start as identities; applied after this backbone's own init_cfg by initWeights().
   */
  private zeroInitBlocks(): void {
    for (const layer of this.layers) {
      for (const b of layer.blocks()) {
        b.initCfg = { type: 'Constant', val: 0, override: { name: b instanceof Bottleneck ? 'norm3' : 'norm2' } };
      }
    }
  }

  /** The modules frozen_stages covers: the stem for 0, then layer1..layerN. */
  private frozenModules(): Module[] {
    const k = this.opts.frozen_stages;
    if (k < 0) return [];
    const stem: Module[] = this.stem ? [this.stem] : [this.conv1!, this.norm1!];
    return [...stem, ...this.layers.slice(0, k)];
  }

  private freezeStages(): void {
    for (const m of this.frozenModules()) {
      for (const [, p] of m.namedParameters()) (p as { requiresGrad: boolean }).requiresGrad = false;
      for (const [, s] of m.namedModules()) if (s instanceof BatchNorm2d) s.frozen = true;
    }
  }

  /** Frozen stages stay in eval mode; with norm_eval every BN does while training (mmdet's train()). */
  protected override afterModeChange(): void {
    for (const m of this.frozenModules()) for (const [, s] of m.namedModules()) s.training = false;
    if (this.training && this.opts.norm_eval) {
      for (const [, m] of this.namedModules()) if (m instanceof BatchNorm2d) m.training = false;
    }
  }
}

type Fail = (key: string, detail: string) => ConfigError;

function refuseUnsupported(o: Parsed, fail: Fail): void {
  if (o.dcn !== undefined && o.dcn !== null) {
    throw fail('dcn', 'deformable convolution (DCN) is not supported by hrdet; remove dcn (and stage_with_dcn)');
  }
  if (o.plugins !== undefined && o.plugins !== null && !(Array.isArray(o.plugins) && o.plugins.length === 0)) {
    throw fail('plugins', 'ResNet plugins (attention/context blocks) are not supported by hrdet; remove plugins');
  }
  if (o.pretrained !== undefined && o.pretrained !== null) {
    throw fail('pretrained', "is deprecated in mmdetection 3; use init_cfg: {type: 'Pretrained', checkpoint: ...}");
  }
  if (o.conv_cfg && !['Conv2d', 'Conv'].includes(String(o.conv_cfg.type))) {
    throw fail('conv_cfg.type', `only plain convolutions ('Conv2d') are supported, got '${String(o.conv_cfg.type)}'`);
  }
}

/** Per-stage strides and dilations (defaults cut to num_stages), outputs and stem width, checked. */
function planStages(o: Parsed, fail: Fail) {
  const n = o.num_stages;
  const strides = o.strides ?? [1, 2, 2, 2].slice(0, n);
  const dilations = o.dilations ?? [1, 1, 1, 1].slice(0, n);
  for (const [key, values] of [['strides', strides], ['dilations', dilations]] as const) {
    if (values.length !== n) throw fail(key, `needs one value per stage (num_stages=${n}), got ${values.length}`);
    if (values.some((v) => v < 1)) throw fail(key, `must be positive, got [${values.join(', ')}]`);
  }
  const outIndices = checkOutIndices(o.out_indices ?? [0, 1, 2, 3].slice(0, n), n, fail);
  if (o.frozen_stages < -1 || o.frozen_stages > n) throw fail('frozen_stages', `expected -1..${n}, got ${o.frozen_stages}`);
  const stemChannels = o.stem_channels ?? o.base_channels;
  if (o.deep_stem && stemChannels % 2 !== 0) throw fail('stem_channels', `deep_stem halves it, so it must be even, got ${stemChannels}`);
  return { strides, dilations, outIndices, stemChannels };
}

function checkOutIndices(indices: number[], numStages: number, fail: Fail): number[] {
  if (indices.length === 0) throw fail('out_indices', 'must name at least one stage');
  const bad = indices.find((i) => i < 0 || i >= numStages);
  if (bad !== undefined) throw fail('out_indices', `stage index ${bad} is out of range 0..${numStages - 1} (num_stages=${numStages})`);
  // outputs come in stage order whatever order the config lists them in, as in mmdet
  return [...new Set(indices)].sort((a, b) => a - b);
}

/** ResNet-C stem: three 3x3 convs (s2, 1, 1) of widths stem/2, stem/2, stem; keys stem.0 .. stem.7. */
function deepStem(cin: number, stem: number, norm: NormConfig): Sequential {
  const half = stem / 2;
  return new Sequential(
    new Conv2d(cin, half, 3, { stride: 2, padding: 1, bias: false }),
    buildNormLayer(norm, half)[1],
    new ReLU(),
    new Conv2d(half, half, 3, { padding: 1, bias: false }),
    buildNormLayer(norm, half)[1],
    new ReLU(),
    new Conv2d(half, stem, 3, { padding: 1, bias: false }),
    buildNormLayer(norm, stem)[1],
    new ReLU(),
  );
}

BACKBONES.register(resnetOptions, (o: ResNetOptions, ctx: BuildContext) => new ResNet(o, ctx), {
  name: 'ResNet',
  summary: 'ResNet-18/34/50/101/152 (mmdetection 3 layout: conv1, bn1, layer1..layer4)',
});

// typed TS configs: `{ type: 'ResNet', ... }` completes and checks these options
declare module '../../config/config-types' {
  interface BackboneOptionsMap {
    ResNet: import('zod').input<typeof resnetOptions>;
  }
}
