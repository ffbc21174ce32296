import { z } from 'zod';
import { FeatureHead } from '../feature-head';
import { Conv2d } from '../../../nn/conv2d';
import { BatchNorm2d } from '../../../nn/batch-norm2d';
import { Identity, Sequential, type TensorModule } from '../../../nn/containers';
import { ReLU } from '../../../nn/activations';
import type { InitCfg } from '../../../nn/init/init-cfg';
import type { Tensor } from '../../../core/tensor';
import { HEADS } from '../../../registry/registries';
import type { BuildContext } from '../../../registry/build-context';
import { initCfg } from '../../../nn/option-schemas';

const ints = z.array(z.number().int().positive());

export const heatmapHeadSchema = z
  .object({
    in_channels: z.number().int().positive(),
    out_channels: z.number().int().positive(),
    /** null or [] = no deconvolution stage (HRNet: heatmaps at the backbone's stride-4 resolution). */
    deconv_out_channels: ints.nullable().default([256, 256, 256]),
    deconv_kernel_sizes: ints.nullable().default([4, 4, 4]),
    conv_out_channels: ints.nullable().default(null),
    conv_kernel_sizes: ints.nullable().default(null),
    /**
     * The last conv, as mmpose builds it: a Conv2d (with bias) of kernel_size 1 updated by these
     * keys. mmpose does not pad it; the official pose_hrnet's 3x3 variant is `{kernel_size: 3, padding: 1}`.
     */
    final_layer: z
      .object({
        type: z.literal('Conv2d').optional(),
        kernel_size: z.number().int().positive().default(1),
        padding: z.number().int().min(0).default(0),
        stride: z.number().int().positive().default(1),
        bias: z.boolean().default(true),
      })
      .strict()
      .nullable()
      .default({}),
    loss: z.record(z.unknown()).optional(),
    decoder: z.record(z.unknown()).nullable().optional(),
    init_cfg: initCfg,
  })
  .strict();
export type HeatmapHeadOptions = z.infer<typeof heatmapHeadSchema>;

/** mmpose's HeatmapHead.default_init_cfg: N(0, 0.001) conv weights, zero biases, unit norms. */
export const HEATMAP_HEAD_DEFAULT_INIT: InitCfg = [
  { type: 'Normal', layer: ['Conv2d', 'ConvTranspose2d'], std: 0.001 },
  { type: 'Constant', layer: 'BatchNorm2d', val: 1 },
];

/**
 * mmpose's top-down heatmap head: optional deconvolution and conv stages, then a final conv
 * to one heatmap per keypoint, applied to the last feature map it receives (for HRNetV1 the
 * only one: the stride-4 branch). Children: `deconv_layers`, `conv_layers`, `final_layer`.
 */
export class HeatmapHead extends FeatureHead {
  readonly convLayers: TensorModule;
  readonly finalLayer: TensorModule;
  readonly outChannels: number;

  constructor(o: HeatmapHeadOptions, ctx?: BuildContext) {
    super();
    const fail = (key: string, detail: string) => (ctx ? ctx.error(key, detail) : new Error(`${key}: ${detail}`));
    if (o.deconv_out_channels?.length) {
      throw fail(
        'deconv_out_channels',
        'deconvolution stages (transposed convs) are not available in hrdet yet; set it to null, as the HRNet configs do',
      );
    }
    const convOut = o.conv_out_channels ?? [];
    const convK = o.conv_kernel_sizes ?? [];
    if (convOut.length !== convK.length) {
      throw fail('conv_kernel_sizes', `needs one kernel size per conv_out_channels entry (${convOut.length}), got ${convK.length}`);
    }
    this.outChannels = o.out_channels;
    this.initCfg = o.init_cfg ?? HEATMAP_HEAD_DEFAULT_INIT;
    this.addModule('deconv_layers', new Identity());
    let cin = o.in_channels;
    const convs = new Sequential();
    convOut.forEach((cout, i) => {
      convs.append(new Conv2d(cin, cout, convK[i], { padding: (convK[i] - 1) >> 1 }));
      convs.append(new BatchNorm2d(cout));
      convs.append(new ReLU());
      cin = cout;
    });
    this.convLayers = this.addModule('conv_layers', convs.length ? convs : new Identity());
    const fl = o.final_layer;
    this.finalLayer = this.addModule(
      'final_layer',
      fl ? new Conv2d(cin, o.out_channels, fl.kernel_size, { padding: fl.padding, stride: fl.stride, bias: fl.bias }) : new Identity(),
    );
  }

  /** Only a final conv: the layout of the official pose_hrnet (`final_layer.*`). */
  get hasOfficialLayout(): boolean {
    return this.convLayers instanceof Identity && this.finalLayer instanceof Conv2d;
  }

  forward(feats: readonly Tensor[]): Tensor {
    const x = feats[feats.length - 1];
    return this.finalLayer.forward(this.convLayers.forward(x));
  }
}

HEADS.register(heatmapHeadSchema, (o: HeatmapHeadOptions, ctx: BuildContext) => new HeatmapHead(o, ctx), {
  name: 'HeatmapHead',
  summary: 'Top-down keypoint heatmap head (mmpose): optional conv stage and a final conv per keypoint',
});

// typed TS configs: `{ type: 'HeatmapHead', ... }` completes and checks these options
declare module '../../../config/config-types' {
  interface HeadOptionsMap {
    HeatmapHead: import('zod').input<typeof heatmapHeadSchema>;
  }
}
