import { z } from 'zod';
import { UserError } from '../../core/errors';
import { TRANSFORMS } from '../../registry/registries';
import { readLabelMap } from '../image-io/label-map';
import type { Results, SegMap, Transform } from './results';

export const segLoadAnnotationsSchema = z
  .object({
    /** mmseg deprecates it here (set it on the dataset); when given it must agree with the dataset's. */
    reduce_zero_label: z.boolean().nullable().default(null),
    /** Both names read through hrdet's one label-map reader (Pillow's rules for label maps). */
    imdecode_backend: z.enum(['pillow', 'cv2']).default('pillow'),
    backend_args: z.null().optional(),
  })
  .strict();
export type SegLoadAnnotationsOptions = z.output<typeof segLoadAnnotationsSchema>;

/**
 * mmseg's LoadAnnotations: reads `seg_map_path` as class indices (`imfrombytes(flag='unchanged',
 * backend='pillow')`: palette PNGs give their indices, see image-io/label-map) into `gt_seg_map`.
 * With `reduce_zero_label` 0 becomes 255 (ignored) and every other label k becomes k - 1 (255
 * stays 255); then the dataset's `label_map` (old → new) is applied, as mmseg.
 */
export class SegLoadAnnotations implements Transform {
  constructor(private readonly o: SegLoadAnnotationsOptions) {}

  async transform(results: Results): Promise<Results> {
    const file = results.seg_map_path;
    if (typeof file !== 'string') throw new UserError(`${results.img_path ?? '<results>'}: LoadAnnotations needs seg_map_path: give the dataset data_prefix.seg_map_path`);
    const reduce = this.reduceZeroLabel(results);
    const map = await readLabelMap(file);
    let data = map.data;
    if (reduce) data = reduceZeroLabel(data);
    const labelMap = results.label_map as Record<number, number> | null | undefined;
    if (labelMap) data = applyLabelMap(data, labelMap);
    const seg: SegMap = { data, height: map.height, width: map.width, channels: 1, order: 'gray' };
    const fields = Array.isArray(results.seg_fields) ? [...(results.seg_fields as string[])] : [];
    return { ...results, gt_seg_map: seg, seg_fields: fields.includes('gt_seg_map') ? fields : [...fields, 'gt_seg_map'] };
  }

  private reduceZeroLabel(results: Results): boolean {
    const fromData = results.reduce_zero_label;
    if (this.o.reduce_zero_label === null) return fromData === true;
    if (typeof fromData === 'boolean' && fromData !== this.o.reduce_zero_label) {
      throw new UserError(`LoadAnnotations: reduce_zero_label is ${this.o.reduce_zero_label} but the dataset's is ${fromData}: set it on the dataset only`);
    }
    return this.o.reduce_zero_label;
  }
}

/** mmseg's reduce_zero_label: 0 → 255, k → k - 1, 255 stays 255. */
export function reduceZeroLabel(src: Uint8Array): Uint8Array {
  return Uint8Array.from(src, (v) => (v === 0 || v === 255 ? 255 : v - 1));
}

/** Every old label replaced by its new one (read from a copy, so chains do not cascade). */
function applyLabelMap(src: Uint8Array, map: Record<number, number>): Uint8Array {
  const lut = Uint8Array.from({ length: 256 }, (_, v) => v);
  for (const [old, now] of Object.entries(map)) if (Number(old) >= 0 && Number(old) < 256) lut[Number(old)] = now;
  return Uint8Array.from(src, (v) => lut[v]);
}

TRANSFORMS.register(segLoadAnnotationsSchema, (o: SegLoadAnnotationsOptions) => new SegLoadAnnotations(o), {
  name: 'LoadAnnotations',
  scope: 'mmseg',
  summary: "mmseg transform: read seg_map_path into gt_seg_map (reduce_zero_label, label_map), as mmseg.LoadAnnotations",
});
