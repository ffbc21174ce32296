import { z } from 'zod';
import { Neck } from './neck';
import { ConfigError } from '../../core/errors';
import type { ShapeSpec } from '../backbones/backbone';
import * as F from '../../core/ops';
import { ConvModule } from '../../nn/conv-module';
import { ModuleList } from '../../nn/containers';
import type { InitCfg } from '../../nn/init/init-cfg';
import type { Tensor } from '../../core/tensor';
import { NECKS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { convCfg, initCfg, normCfg } from '../../nn/option-schemas';
import { hrnetV2Representation } from '../../nn/blocks/hrnet-representations';

export const hrfpnSchema = z
  .object({
    in_channels: z.array(z.number().int().positive()).min(1),
    out_channels: z.number().int().positive(),
    num_outs: z.number().int().positive().default(5),
    pooling_type: z.enum(['AVG', 'MAX']).default('AVG'),
    conv_cfg: convCfg,
    /** Accepted for mmdetection compatibility; HRFPN never passes it to its convs (no norm layers). */
    norm_cfg: normCfg.nullable().optional(),
    with_cp: z.boolean().default(false),
    stride: z.number().int().positive().default(1),
    init_cfg: initCfg,
  })
  .strict();
export type HRFPNOptions = z.infer<typeof hrfpnSchema>;

/**
 * mmdetection's HRFPN init_cfg when none is given: Caffe2Xavier (kaiming-uniform, a = 1, fan_in)
 * on every conv, bias 0. As in mmdet, initWeights() then re-initialises `reduction_conv`, a
 * direct ConvModule child, with mmcv's Kaiming; `fpn_convs` sit in a plain ModuleList and keep it.
 */
export const HRFPN_DEFAULT_INIT: InitCfg = { type: 'Caffe2Xavier', layer: 'Conv2d' };

/**
 * HRNetV2p's feature pyramid (mmdetection's HRFPN): the HRNetV2 representation (all branches
 * bilinearly upsampled to the highest resolution and concatenated) → a 1x1 `reduction_conv`
 * → level k = average (or max) pool of it with kernel = stride = 2^k → a 3x3 `fpn_convs[k]`
 * per level. Convs have biases and neither norm nor activation.
 */
export class HRFPN extends Neck {
  readonly reductionConv: ConvModule;
  readonly fpnConvs: ModuleList<ConvModule>;
  readonly numOuts: number;
  readonly poolingType: 'AVG' | 'MAX';
  readonly outChannels: number;
  readonly stride: number;
  readonly inChannels: readonly number[];
  private baseStride = 4;

  constructor(o: HRFPNOptions) {
    super();
    this.numOuts = o.num_outs;
    this.poolingType = o.pooling_type;
    this.outChannels = o.out_channels;
    this.stride = o.stride;
    this.inChannels = o.in_channels;
    this.initCfg = o.init_cfg ?? HRFPN_DEFAULT_INIT;
    const total = o.in_channels.reduce((a, b) => a + b, 0);
    this.reductionConv = this.addModule('reduction_conv', new ConvModule(total, o.out_channels, 1, { actCfg: null }));
    this.fpnConvs = this.addModule(
      'fpn_convs',
      new ModuleList(
        Array.from(
          { length: o.num_outs },
          () => new ConvModule(o.out_channels, o.out_channels, 3, { padding: 1, stride: o.stride, actCfg: null }),
        ),
      ),
    );
  }

  /**
   * Take the stride of the first input (and check the input widths): level k has stride
   * (first input's stride) * 2^k * `stride`. Until told, HRNet's stride-4 first branch is assumed.
   */
  setInputShape(shapes: readonly ShapeSpec[]): void {
    const got = shapes.map((s) => s.channels);
    if (got.length !== this.inChannels.length || got.some((c, i) => c !== this.inChannels[i])) {
      throw new ConfigError('in_channels', `HRFPN takes [${this.inChannels.join(', ')}] but its inputs have [${got.join(', ')}]`);
    }
    this.baseStride = shapes[0].stride;
  }

  outputShape(): ShapeSpec[] {
    return Array.from({ length: this.numOuts }, (_, k) => ({ channels: this.outChannels, stride: this.baseStride * 2 ** k * this.stride }));
  }

  forward(xs: Tensor[]): Tensor[] {
    return this.run(xs);
  }

  /** Forward with `reduction_conv` (level 0 before its 3x3 conv) recorded, as the reference fixtures name it. */
  forwardIntermediates(xs: Tensor[]): Map<string, Tensor> {
    const rec = new Map<string, Tensor>();
    this.run(xs, rec).forEach((t, k) => rec.set(`neck.${k}`, t));
    return rec;
  }

  private run(xs: Tensor[], record?: Map<string, Tensor>): Tensor[] {
    // mmdet upsamples branch i by scale_factor 2^i, align_corners unset (false)
    const reduced = this.reductionConv.forward(hrnetV2Representation(xs, false, true));
    record?.set('neck.reduction_conv', reduced);
    const pool = this.poolingType === 'AVG' ? F.avgPool2d : F.maxPool2d;
    return Array.from({ length: this.numOuts }, (_, k) => {
      const level = k === 0 ? reduced : pool(reduced, 2 ** k, { stride: 2 ** k });
      return this.fpnConvs.at(k).forward(level);
    });
  }
}

NECKS.register(hrfpnSchema, (o: HRFPNOptions, _ctx: BuildContext) => new HRFPN(o), {
  name: 'HRFPN',
  summary: 'HRNetV2p feature pyramid: concat of all HRNet branches, 1x1 reduction, pooled levels, 3x3 convs',
});

// typed TS configs: `{ type: 'HRFPN', ... }` completes and checks these options
declare module '../../config/config-types' {
  interface NeckOptionsMap {
    HRFPN: import('zod').input<typeof hrfpnSchema>;
  }
}
