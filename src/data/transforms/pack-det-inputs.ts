import { z } from 'zod';
import { UserError } from '../../core/errors';
import { hostTensor, type HostTensor } from '../../core/host-tensor';
import { DetDataSample } from '../../structures/det-data-sample';
import { InstanceData } from '../../structures/instance-data';
import { PixelData } from '../../structures/pixel-data';
import type { ImageMeta } from '../../structures/image-meta';
import { TRANSFORMS } from '../../registry/registries';
import type { PipelineImage, Results, Transform } from './results';

/** mmdet's default meta keys. */
export const DET_META_KEYS = ['img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip', 'flip_direction'] as const;

export const packDetInputsSchema = z
  .object({
    meta_keys: z.array(z.string()).default([...DET_META_KEYS]),
  })
  .strict();
export type PackDetInputsOptions = z.output<typeof packDetInputsSchema>;

/** What a packing transform hands the loader: one image (CHW) and its data sample. */
export interface PackedSample<S = DetDataSample> {
  inputs: HostTensor;
  data_samples: S;
}

/**
 * mmdet's PackDetInputs: the image as a C×H×W host tensor (uint8 stays uint8, float32 stays
 * float32; 16-bit images become float32), and a DetDataSample whose `gt_instances` hold the
 * instances not ignored (`bboxes`, `labels`, `masks`) and `ignored_instances` the crowd ones.
 * A label map (`gt_seg_map`) becomes `gt_sem_seg`. Every meta key must be in the results, as mmdet asserts.
 */
export class PackDetInputs implements Transform {
  constructor(private readonly o: PackDetInputsOptions) {}

  transform(results: Results): Results {
    const packed = this.pack(results);
    return packed as unknown as Results;
  }

  pack(results: Results): PackedSample {
    if (!results.img) throw new UserError(`${results.img_path ?? '<results>'}: PackDetInputs needs an image: put LoadImageFromFile before it`);
    const meta: ImageMeta = {};
    for (const k of this.o.meta_keys) {
      if (!(k in results)) throw new UserError(`PackDetInputs: meta key '${k}' is not in the results (they hold ${Object.keys(results).join(', ')})`);
      meta[k] = results[k];
    }
    const sample = new DetDataSample(meta);
    const n = results.gt_bboxes?.length ?? results.gt_bboxes_labels?.length ?? results.gt_masks?.length;
    if (n !== undefined) {
      const all = new InstanceData({ bboxes: results.gt_bboxes, labels: results.gt_bboxes_labels, masks: results.gt_masks });
      const flags = results.gt_ignore_flags ?? new Uint8Array(n);
      const keep = [...flags.keys()].filter((i) => !flags[i]);
      const ignored = [...flags.keys()].filter((i) => flags[i]);
      sample.gt_instances = all.index(keep);
      sample.ignored_instances = all.index(ignored);
    }
    // mmdet: the label map (LoadAnnotations with_seg) as gt_sem_seg [1, H, W]
    const seg = results.gt_seg_map;
    if (seg) sample.gt_sem_seg = new PixelData(seg.data, [1, seg.height, seg.width]);
    return { inputs: toChw(results.img), data_samples: sample };
  }
}

/** HWC pixels to a C×H×W host tensor. */
export function toChw(img: PipelineImage): HostTensor {
  const { height: h, width: w, channels: c } = img;
  const u8 = img.data instanceof Uint8Array;
  const out = u8 ? new Uint8Array(c * h * w) : new Float32Array(c * h * w);
  const plane = h * w;
  const src = img.data;
  for (let k = 0; k < c; k++) {
    const base = k * plane;
    for (let i = 0, j = k; i < plane; i++, j += c) out[base + i] = src[j];
  }
  return hostTensor(u8 ? 'uint8' : 'float32', [c, h, w], out);
}

TRANSFORMS.register(packDetInputsSchema, (o: PackDetInputsOptions) => new PackDetInputs(o), {
  name: 'PackDetInputs',
  summary: 'mmdet transform: CHW image + DetDataSample (gt_instances, ignored_instances, metas)',
});
