import { z } from 'zod';
import { UserError } from '../../core/errors';
import { ClsDataSample } from '../../structures/cls-data-sample';
import type { ImageMeta } from '../../structures/image-meta';
import { TRANSFORMS } from '../../registry/registries';
import { toChw, type PackedSample } from './pack-det-inputs';
import type { PipelineImage, Results, Transform } from './results';

/** mmpretrain's PackInputs.DEFAULT_META_KEYS. */
export const CLS_META_KEYS = ['sample_idx', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip', 'flip_direction'] as const;

export const packInputsSchema = z
  .object({
    input_key: z.string().default('img'),
    algorithm_keys: z.array(z.string()).default([]),
    meta_keys: z.array(z.string()).default([...CLS_META_KEYS]),
  })
  .strict();
export type PackInputsOptions = z.output<typeof packInputsSchema>;

/**
 * mmpretrain's PackInputs: `input_key` (an image) as a C×H×W host tensor, and a ClsDataSample
 * with `gt_label` (a number or a list, as Int32Array), `gt_score` (Float32Array), the
 * `algorithm_keys` as fields and the meta keys the results hold (missing ones are skipped).
 */
export class PackInputs implements Transform {
  constructor(private readonly o: PackInputsOptions) {}

  transform(results: Results): Results {
    return this.pack(results) as unknown as Results;
  }

  pack(results: Results): PackedSample<ClsDataSample> {
    const img = results[this.o.input_key] as PipelineImage | undefined;
    if (!img) throw new UserError(`${results.img_path ?? '<results>'}: PackInputs needs '${this.o.input_key}' (input_key): put LoadImageFromFile before it`);
    const meta: ImageMeta = {};
    for (const k of this.o.meta_keys) if (k in results) meta[k] = results[k];
    const sample = new ClsDataSample(meta);
    const label = results.gt_label;
    if (label !== undefined) sample.gt_label = Int32Array.from(typeof label === 'number' ? [label] : label);
    if (results.gt_score !== undefined) sample.gt_score = Float32Array.from(results.gt_score as ArrayLike<number>);
    for (const k of this.o.algorithm_keys) if (k in results) (sample as unknown as Record<string, unknown>)[k] = results[k];
    return { inputs: toChw(img), data_samples: sample };
  }
}

TRANSFORMS.register(packInputsSchema, (o: PackInputsOptions) => new PackInputs(o), {
  name: 'PackInputs',
  summary: 'mmpretrain transform: CHW image + ClsDataSample (gt_label, gt_score, metas)',
});
