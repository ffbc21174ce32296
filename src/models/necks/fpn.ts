import { z } from 'zod';
import { Neck } from './neck';
import type { ShapeSpec } from '../backbones/backbone';
import { ConfigError } from '../../core/errors';
import * as F from '../../core/ops';
import type { Tensor } from '../../core/tensor';
import { ModuleList } from '../../nn/containers';
import { ConvModule } from '../../nn/conv-module';
import type { NormConfig } from '../../nn/norm';
import type { InitCfg } from '../../nn/init/init-cfg';
import { NECKS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { actCfg, convCfg, initCfg, normCfg } from '../../nn/option-schemas';

const upsampleCfg = z
  .object({
    mode: z.enum(['nearest', 'bilinear']).default('nearest'),
    scale_factor: z.number().positive().optional(),
    align_corners: z.boolean().nullable().optional(),
  })
  .strict();

export const fpnOptions = z
  .object({
    in_channels: z.array(z.number().int().positive()).min(1),
    out_channels: z.number().int().positive(),
    num_outs: z.number().int().positive(),
    start_level: z.number().int().min(0).default(0),
    end_level: z.number().int().default(-1),
    add_extra_convs: z.union([z.boolean(), z.enum(['on_input', 'on_lateral', 'on_output'])]).default(false),
    relu_before_extra_convs: z.boolean().default(false),
    no_norm_on_lateral: z.boolean().default(false),
    conv_cfg: convCfg,
    norm_cfg: normCfg.nullable().optional(),
    act_cfg: actCfg.optional(),
    upsample_cfg: upsampleCfg.default({ mode: 'nearest' }),
    init_cfg: initCfg.nullable(),
  })
  .strict();
export type FPNOptions = z.input<typeof fpnOptions>;
type Parsed = z.output<typeof fpnOptions>;
type ExtraSource = 'on_input' | 'on_lateral' | 'on_output';

/** mmdetection's FPN init_cfg when none is given: Xavier-uniform (gain 1) convs, biases 0. */
export const FPN_DEFAULT_INIT: InitCfg = { type: 'Xavier', layer: 'Conv2d', distribution: 'uniform' };

type Fail = (key: string, detail: string) => ConfigError;

/**
 * Feature Pyramid Network (Lin et al. 2017) as mmdetection 3's FPN: 1x1 lateral ConvModules
 * on inputs start_level..end_level, a top-down pathway adding the upsampled coarser lateral
 * (nearest, to the finer lateral's size unless upsample_cfg gives a scale_factor), 3x3 output
 * ConvModules, then extra coarser levels up to num_outs: stride-2 max pools of the last output,
 * or stride-2 3x3 convs on the source add_extra_convs names. Keys: lateral_convs.i.conv.*,
 * fpn_convs.i.conv.* (extra convs continue the fpn_convs numbering).
 */
export class FPN extends Neck {
  readonly inChannels: readonly number[];
  readonly outChannels: number;
  readonly numOuts: number;
  readonly startLevel: number;
  /** One past the last input level used (mmdet's backbone_end_level). */
  readonly backboneEndLevel: number;
  readonly extraSource: ExtraSource | null;
  readonly lateralConvs: ModuleList<ConvModule>;
  readonly fpnConvs: ModuleList<ConvModule>;
  private readonly opts: Parsed;
  /** Strides of the inputs; the usual C2..C5 (4, 8, 16, ...) until a backbone declares its own. */
  private inputStrides: number[];

  constructor(options: FPNOptions, ctx?: BuildContext) {
    super();
    const o = fpnOptions.parse(options);
    const fail: Fail = (key, detail) => (ctx ? ctx.error(key, detail) : new ConfigError(key, detail));
    this.opts = o;
    this.inChannels = o.in_channels;
    this.outChannels = o.out_channels;
    this.numOuts = o.num_outs;
    this.startLevel = o.start_level;
    // the ConvModules sit in plain ModuleLists, so initWeights() leaves them to this init_cfg, as in mmdet
    this.initCfg = o.init_cfg ?? FPN_DEFAULT_INIT;
    this.backboneEndLevel = levelRange(o, fail);
    this.extraSource = o.add_extra_convs === true ? 'on_input' : o.add_extra_convs === false ? null : o.add_extra_convs;
    this.inputStrides = o.in_channels.map((_, i) => 2 ** (i + 2));
    const act = activation(o.act_cfg, fail);
    if (o.conv_cfg && !['Conv2d', 'Conv'].includes(String(o.conv_cfg.type))) {
      throw fail('conv_cfg.type', `only plain convolutions ('Conv2d') are supported, got '${String(o.conv_cfg.type)}'`);
    }
    const norm = (o.norm_cfg ?? null) as NormConfig | null;

    this.lateralConvs = this.addModule('lateral_convs', new ModuleList<ConvModule>());
    this.fpnConvs = this.addModule('fpn_convs', new ModuleList<ConvModule>());
    for (let i = this.startLevel; i < this.backboneEndLevel; i++) {
      this.lateralConvs.push(
        new ConvModule(o.in_channels[i], o.out_channels, 1, { normCfg: o.no_norm_on_lateral ? null : norm, actCfg: act }),
      );
      this.fpnConvs.push(new ConvModule(o.out_channels, o.out_channels, 3, { padding: 1, normCfg: norm, actCfg: act }));
    }
    if (this.extraSource) {
      for (let i = 0; i < this.extraLevels; i++) {
        const cin = i === 0 && this.extraSource === 'on_input' ? o.in_channels[this.backboneEndLevel - 1] : o.out_channels;
        this.fpnConvs.push(new ConvModule(cin, o.out_channels, 3, { stride: 2, padding: 1, normCfg: norm, actCfg: act }));
      }
    }
  }

  /** Levels added beyond the used inputs (pools or extra convs). */
  get extraLevels(): number {
    return this.numOuts - this.backboneEndLevel + this.startLevel;
  }

  /**
   * Take the strides (and check the channels) of the feature maps this neck will be fed,
   * so outputShape() reports true strides for any backbone.
   */
  setInputShape(shapes: readonly ShapeSpec[]): void {
    if (shapes.length !== this.inChannels.length || shapes.some((s, i) => s.channels !== this.inChannels[i])) {
      throw new ConfigError(
        'in_channels',
        `the FPN takes [${this.inChannels.join(', ')}] but its inputs have [${shapes.map((s) => s.channels).join(', ')}]`,
      );
    }
    this.inputStrides = shapes.map((s) => s.stride);
  }

  outputShape(): ShapeSpec[] {
    const out: ShapeSpec[] = [];
    for (let i = this.startLevel; i < this.backboneEndLevel; i++) out.push({ channels: this.outChannels, stride: this.inputStrides[i] });
    for (let i = 0; i < this.extraLevels; i++) out.push({ channels: this.outChannels, stride: out[out.length - 1].stride * 2 });
    return out;
  }

  forward(inputs: Tensor[]): Tensor[] {
    if (inputs.length !== this.inChannels.length) {
      throw new Error(`FPN: expected ${this.inChannels.length} input levels (in_channels), got ${inputs.length}`);
    }
    const laterals = [...this.lateralConvs].map((conv, i) => conv.forward(inputs[i + this.startLevel]));
    for (let i = laterals.length - 1; i > 0; i--) laterals[i - 1] = F.add(laterals[i - 1], this.upsample(laterals[i], laterals[i - 1]));
    const used = laterals.length;
    const outs = laterals.map((l, i) => this.fpnConvs.at(i).forward(l));
    if (this.extraLevels <= 0) return outs;
    if (!this.extraSource) {
      // mmdet's max_pool2d(kernel 1, stride 2): a strided subsample of the last output
      for (let i = 0; i < this.extraLevels; i++) outs.push(F.maxPool2d(outs[outs.length - 1], 1, { stride: 2 }));
      return outs;
    }
    const source =
      this.extraSource === 'on_input' ? inputs[this.backboneEndLevel - 1] : this.extraSource === 'on_lateral' ? laterals[used - 1] : outs[used - 1];
    outs.push(this.fpnConvs.at(used).forward(source));
    for (let i = used + 1; i < this.numOuts; i++) {
      const prev = outs[outs.length - 1];
      outs.push(this.fpnConvs.at(i).forward(this.opts.relu_before_extra_convs ? F.relu(prev) : prev));
    }
    return outs;
  }

  /** The coarser lateral brought to the finer one's size (or scaled by upsample_cfg.scale_factor). */
  private upsample(coarse: Tensor, fine: Tensor): Tensor {
    const u = this.opts.upsample_cfg;
    const args = { mode: u.mode, alignCorners: u.align_corners ?? false };
    const up = u.scale_factor !== undefined
      ? F.interpolate(coarse, { ...args, scaleFactor: u.scale_factor })
      : F.interpolate(coarse, { ...args, size: [fine.shape[2], fine.shape[3]] });
    if (up.shape[2] !== fine.shape[2] || up.shape[3] !== fine.shape[3]) {
      throw new Error(
        `FPN: upsample_cfg.scale_factor ${u.scale_factor} turns a ${coarse.shape[2]}x${coarse.shape[3]} level into ` +
          `${up.shape[2]}x${up.shape[3]}, but the next finer level is ${fine.shape[2]}x${fine.shape[3]}; drop scale_factor to upsample by size`,
      );
    }
    return up;
  }
}

/** mmdet's level checks; returns backbone_end_level. */
function levelRange(o: Parsed, fail: Fail): number {
  const numIns = o.in_channels.length;
  if (o.start_level >= numIns) throw fail('start_level', `must be below the number of inputs (${numIns}), got ${o.start_level}`);
  if (o.end_level === -1 || o.end_level === numIns - 1) {
    if (o.num_outs < numIns - o.start_level) {
      throw fail('num_outs', `must be at least the number of used inputs (${numIns - o.start_level}), got ${o.num_outs}`);
    }
    return numIns;
  }
  if (o.end_level < o.start_level || o.end_level >= numIns) {
    throw fail('end_level', `expected -1 or ${o.start_level}..${numIns - 1}, got ${o.end_level}`);
  }
  // an end level short of the last input allows no extra levels
  if (o.num_outs !== o.end_level - o.start_level + 1) {
    throw fail('num_outs', `must equal end_level - start_level + 1 = ${o.end_level - o.start_level + 1} when end_level is set, got ${o.num_outs}`);
  }
  return o.end_level + 1;
}

function activation(cfg: Parsed['act_cfg'], fail: Fail): { type: 'ReLU' | 'Sigmoid' } | null {
  if (!cfg) return null;
  if (cfg.type !== 'ReLU' && cfg.type !== 'Sigmoid') throw fail('act_cfg.type', `FPN supports 'ReLU', 'Sigmoid' or null, got '${cfg.type}'`);
  return { type: cfg.type };
}

NECKS.register(fpnOptions, (o: FPNOptions, ctx: BuildContext) => new FPN(o, ctx), {
  name: 'FPN',
  summary: 'Feature Pyramid Network (mmdetection 3 layout: lateral_convs, fpn_convs)',
});

// typed TS configs: `{ type: 'FPN', ... }` completes and checks these options
declare module '../../config/config-types' {
  interface NeckOptionsMap {
    FPN: import('zod').input<typeof fpnOptions>;
  }
}
