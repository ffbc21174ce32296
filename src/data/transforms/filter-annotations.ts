import { z } from 'zod';
import { UserError } from '../../core/errors';
import { TRANSFORMS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import type { Results, Transform } from './results';

export const filterAnnotationsSchema = z
  .object({
    min_gt_bbox_wh: z.array(z.number().min(0)).length(2).default([1, 1]),
    min_gt_mask_area: z.number().min(0).default(1),
    by_box: z.boolean().default(true),
    by_mask: z.boolean().default(false),
    keep_empty: z.boolean().default(true),
  })
  .strict();
export type FilterAnnotationsOptions = z.output<typeof filterAnnotationsSchema>;

/**
 * mmdet's FilterAnnotations: keeps the instances whose box is wider than min_gt_bbox_wh[0] and
 * taller than min_gt_bbox_wh[1] (by_box; strictly greater) and whose mask covers at least
 * min_gt_mask_area pixels (by_mask), in gt_bboxes, gt_bboxes_labels, gt_masks and
 * gt_ignore_flags. An image without boxes passes unchanged. When no instance is kept,
 * keep_empty=true drops the sample (mmdet returns None; the dataset draws another), and
 * keep_empty=false keeps it with no instances — mmdet's naming, which reads backwards.
 */
export class FilterAnnotations implements Transform {
  constructor(private readonly o: FilterAnnotationsOptions) {}

  transform(results: Results): Results | null {
    const boxes = results.gt_bboxes;
    if (!boxes) throw new UserError(`${results.img_path ?? '<results>'}: FilterAnnotations needs gt_bboxes: put LoadAnnotations before it`);
    const n = boxes.length;
    if (n === 0) return results;
    const keep = new Array<boolean>(n).fill(true);
    if (this.o.by_box) {
      const [w, h] = [boxes.widths(), boxes.heights()];
      for (let i = 0; i < n; i++) keep[i] &&= w[i] > this.o.min_gt_bbox_wh[0] && h[i] > this.o.min_gt_bbox_wh[1];
    }
    if (this.o.by_mask) {
      if (!results.gt_masks) throw new UserError(`${results.img_path ?? '<results>'}: FilterAnnotations by_mask needs gt_masks: LoadAnnotations with_mask=true`);
      const areas = results.gt_masks.areas();
      for (let i = 0; i < n; i++) keep[i] &&= areas[i] >= this.o.min_gt_mask_area;
    }
    if (!keep.some(Boolean) && this.o.keep_empty) return null;
    const idx = keep.flatMap((k, i) => (k ? [i] : []));
    const out: Results = { ...results, gt_bboxes: boxes.index(idx) };
    if (results.gt_bboxes_labels) out.gt_bboxes_labels = Int32Array.from(idx, (i) => results.gt_bboxes_labels![i]);
    if (results.gt_masks) out.gt_masks = results.gt_masks.index(idx);
    if (results.gt_ignore_flags) out.gt_ignore_flags = Uint8Array.from(idx, (i) => results.gt_ignore_flags![i]);
    return out;
  }
}

TRANSFORMS.register(
  filterAnnotationsSchema,
  (o: FilterAnnotationsOptions, ctx: BuildContext) => {
    if (!o.by_box && !o.by_mask) throw ctx.error('by_box', 'at least one of by_box and by_mask must be true');
    return new FilterAnnotations(o);
  },
  { name: 'FilterAnnotations', summary: 'mmdet transform: drop instances with small boxes or masks (drop the image when none is left, keep_empty)' },
);
