import { z } from 'zod';
import { Module } from '../../../core/module';
import * as F from '../../../core/ops';
import type { Tensor } from '../../../core/tensor';
import { HEADS } from '../../../registry/registries';
import type { BuildContext } from '../../../registry/build-context';
import { initCfg } from '../../../nn/option-schemas';
import { indexTensor } from './nms-cfg';

/** mmcv's RoIAlign as mmdetection configs name it (`roi_layer`). */
export const roiAlignLayerOptions = z
  .object({
    type: z.literal('RoIAlign'),
    output_size: z.union([z.number().int().positive(), z.tuple([z.number().int().positive(), z.number().int().positive()])]),
    sampling_ratio: z.number().int().min(0).default(0),
    aligned: z.boolean().default(true),
    pool_mode: z.enum(['avg', 'max']).default('avg'),
    /** torchvision's kernel equals mmcv's for these options; hrdet has one kernel. */
    use_torchvision: z.literal(false).default(false),
  })
  .strict();

export const singleRoIExtractorOptions = z
  .object({
    roi_layer: roiAlignLayerOptions,
    out_channels: z.number().int().positive(),
    featmap_strides: z.array(z.number().positive()).min(1),
    finest_scale: z.number().positive().default(56),
    init_cfg: initCfg.nullable(),
  })
  .strict();
export type SingleRoIExtractorOptions = z.input<typeof singleRoIExtractorOptions>;

/**
 * mmdetection's SingleRoIExtractor: every RoI is pooled (RoIAlign) from one pyramid level,
 * chosen by its size (`mapRoiLevels`). Only the first `featmap_strides.length` feature maps
 * are read. RoIs are [R, 5] rows (batch index, x1, y1, x2, y2) in input pixels; the output
 * is [R, out_channels, S, S].
 */
export class SingleRoIExtractor extends Module {
  readonly outChannels: number;
  readonly featmapStrides: readonly number[];
  readonly finestScale: number;
  readonly outputSize: ReturnType<typeof F.pair>;
  readonly samplingRatio: number;
  readonly aligned: boolean;
  readonly poolMode: 'avg' | 'max';

  constructor(options: SingleRoIExtractorOptions) {
    super();
    const o = singleRoIExtractorOptions.parse(options);
    this.outChannels = o.out_channels;
    this.featmapStrides = o.featmap_strides;
    this.finestScale = o.finest_scale;
    this.outputSize = F.pair(o.roi_layer.output_size);
    this.samplingRatio = o.roi_layer.sampling_ratio;
    this.aligned = o.roi_layer.aligned;
    this.poolMode = o.roi_layer.pool_mode;
    this.initCfg = o.init_cfg ?? null;
  }

  get numInputs(): number {
    return this.featmapStrides.length;
  }

  /**
   * Level of each RoI [R] (int32): floor(log2(sqrt(w * h) / finest_scale + 1e-6)) clamped to
   * [0, levels - 1], as mmdetection's map_roi_levels (scale < 2 * finest_scale → level 0, ...).
   */
  mapRoiLevels(rois: Tensor): Tensor {
    const wh = F.sub(F.narrow(rois, 1, 3, 2), F.narrow(rois, 1, 1, 2));
    const scale = F.sqrt(F.mul(F.narrow(wh, 1, 0, 1), F.narrow(wh, 1, 1, 1)));
    const lvl = F.floor(F.div(F.log(F.add(F.div(scale, this.finestScale), 1e-6)), Math.LN2));
    return F.cast(F.reshape(F.clip(lvl, 0, this.numInputs - 1), [-1]), 'int32');
  }

  forward(feats: readonly Tensor[], rois: Tensor): Tensor {
    if (feats.length < this.numInputs) {
      throw new Error(`SingleRoIExtractor reads ${this.numInputs} feature maps (featmap_strides) but got ${feats.length}`);
    }
    const pool = (i: number, r: Tensor = rois) =>
      F.roiAlign(feats[i], r, {
        outputSize: this.outputSize,
        spatialScale: 1 / this.featmapStrides[i],
        samplingRatio: this.samplingRatio,
        aligned: this.aligned,
        mode: this.poolMode,
      });
    if (this.numInputs === 1) return pool(0);
    if (F.isEager()) return this.pooledByLevel(rois, pool);
    // traced: every level pools every RoI and each RoI keeps its own level's result, the same
    // values as mmdetection's per-level scatter with no data-dependent shapes in the graph. On
    // the other levels a RoI is collapsed to an empty box at the origin, which costs one sample.
    const lvl = F.reshape(this.mapRoiLevels(rois), [-1, 1]);
    const collapsed = F.mul(rois, F.constant({ dtype: 'float32', shape: [1, 5], data: Float32Array.of(1, 0, 0, 0, 0) }));
    const own = (i: number) => F.equal(lvl, F.scalar(i, 'int32'));
    const levelRois = (i: number) => F.where(own(i), rois, collapsed);
    let out = pool(0, levelRois(0));
    for (let i = 1; i < this.numInputs; i++) out = F.where(F.reshape(own(i), [-1, 1, 1, 1]), pool(i, levelRois(i)), out);
    return out;
  }

  /**
   * Eager: mmdetection's own way, each level pooling only the RoIs mapped to it (a quarter of
   * the work of pooling all of them on every level), the results put back in RoI order.
   */
  private pooledByLevel(rois: Tensor, pool: (i: number, r: Tensor) => Tensor): Tensor {
    const levels = F.toHost(this.mapRoiLevels(rois)).data as Int32Array;
    const order: number[] = [];
    const parts: Tensor[] = [];
    for (let i = 0; i < this.numInputs; i++) {
      const members = levels.reduce<number[]>((a, l, r) => (l === i ? (a.push(r), a) : a), []);
      if (members.length === 0) continue;
      order.push(...members);
      parts.push(pool(i, members.length === levels.length ? rois : F.gather(rois, indexTensor(members))));
    }
    if (parts.length === 0) return pool(0, rois); // no RoIs: an empty [0, C, oh, ow]
    const stacked = parts.length === 1 ? parts[0] : F.concat(parts, 0);
    if (order.every((r, k) => r === k)) return stacked;
    const back = new Int32Array(order.length);
    order.forEach((r, k) => (back[r] = k));
    return F.gather(stacked, indexTensor(back));
  }
}

HEADS.register(singleRoIExtractorOptions, (o: SingleRoIExtractorOptions, _ctx: BuildContext) => new SingleRoIExtractor(o), {
  name: 'SingleRoIExtractor',
  summary: 'RoIAlign features of each RoI from the pyramid level its size maps to (mmdetection)',
});
