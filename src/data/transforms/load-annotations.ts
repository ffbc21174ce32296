import { z } from 'zod';
import { UserError } from '../../core/errors';
import { Boxes } from '../../structures/boxes';
import { BitmapMasks, type Polygons } from '../../structures/masks';
import { decodeRle, rleFromCoco, rleFromPolygons, type CocoRle } from '../../structures/mask';
import { TRANSFORMS } from '../../registry/registries';
import { readLabelMap } from '../image-io/label-map';
import type { RawInstance, Results, SegMap, Transform } from './results';
import { reduceZeroLabel } from './seg-load-annotations';

const literal = <T extends boolean>(v: T, why: string) => z.literal(v, { errorMap: () => ({ message: why }) });

export const loadAnnotationsSchema = z
  .object({
    with_bbox: z.boolean().default(true),
    with_label: z.boolean().default(true),
    with_mask: z.boolean().default(false),
    /** Masks are always rasterised to BitmapMasks (mmdet's default). */
    poly2mask: literal(true, 'only poly2mask=true is available: masks are rasterised to bitmaps').default(true),
    /** Read `seg_map_path` (the dataset's data_prefix.seg) into gt_seg_map. */
    with_seg: z.boolean().default(false),
    /** mmdet 3.3's label-map options: 0 becomes 255 and k becomes k - 1; ignore_index is recorded. */
    reduce_zero_label: z.boolean().default(false),
    ignore_index: z.number().int().default(255),
    with_keypoints: literal(false, 'keypoints are loaded by the pose datasets').default(false),
    box_type: z.literal('hbox').default('hbox'),
    imdecode_backend: z.enum(['cv2', 'pillow']).default('cv2'),
    backend_args: z.null().optional(),
    file_client_args: z.null().optional(),
  })
  .strict();
export type LoadAnnotationsOptions = z.output<typeof loadAnnotationsSchema>;

/**
 * mmdet's LoadAnnotations: from the dataset's `instances`, `gt_bboxes` (Boxes, x1 y1 x2 y2),
 * `gt_ignore_flags` (crowd = 1), `gt_bboxes_labels`, and `gt_masks` rasterised at the original
 * image size with cocoapi's polygon rule. As mmdet, a polygon list with no valid outline (an even
 * count of at least 6 numbers) or an unreadable mask becomes an empty mask and its instance is ignored.
 */
export class LoadAnnotations implements Transform {
  constructor(private readonly o: LoadAnnotationsOptions) {}

  transform(results: Results): Results | Promise<Results> {
    const out = this.instances(results);
    // synchronous unless a file is read
    return this.o.with_seg ? this.loadSegMap(out).then(() => out) : out;
  }

  /**
   * mmdet's _load_seg_map: the label map read unchanged (one channel of class indices; a
   * palette PNG gives its indices), nothing when the sample has no seg_map_path.
   */
  private async loadSegMap(out: Results): Promise<void> {
    const file = out.seg_map_path;
    if (typeof file !== 'string') return;
    const map = await readLabelMap(file);
    const data = this.o.reduce_zero_label ? reduceZeroLabel(map.data) : map.data;
    const seg: SegMap = { data, height: map.height, width: map.width, channels: 1, order: 'gray' };
    out.gt_seg_map = seg;
    out.ignore_index = this.o.ignore_index;
  }

  private instances(results: Results): Results {
    const inst = results.instances ?? [];
    const out: Results = { ...results };
    const ignore = Uint8Array.from(inst, (i) => i.ignore_flag);
    if (this.o.with_bbox) {
      out.gt_bboxes = Boxes.fromRows(inst.map((i) => i.bbox));
      out.gt_ignore_flags = ignore;
    }
    if (this.o.with_label) out.gt_bboxes_labels = Int32Array.from(inst, (i) => i.bbox_label);
    if (this.o.with_mask) {
      const [h, w] = results.ori_shape ?? results.img_shape ?? [0, 0];
      if (!h || !w) throw new UserError(`${results.ann_source ?? results.img_path}: LoadAnnotations with_mask needs the image size: load the image first`);
      const data = new Uint8Array(inst.length * h * w);
      inst.forEach((ins, k) => {
        const mask = rasterise(ins, h, w);
        if (mask && mask.length !== h * w) throw new UserError(`${results.ann_source ?? results.img_path}: instance ${k}: segmentation RLE size differs from the image's ${h}x${w}`);
        if (mask) data.set(mask, k * h * w);
        else ignore[k] = 1;
      });
      out.gt_masks = new BitmapMasks(data, inst.length, h, w);
      out.gt_ignore_flags = ignore;
    }
    return out;
  }
}

/** Row-major 0/1 mask of one instance, or null when mmdet would treat it as invalid. */
function rasterise(ins: RawInstance, h: number, w: number): Uint8Array | null {
  const m = ins.mask;
  let rle;
  if (Array.isArray(m)) {
    const valid = (m as Polygons).filter((p) => p.length % 2 === 0 && p.length >= 6);
    if (valid.length === 0) return null;
    rle = rleFromPolygons(valid, h, w);
  } else if (m && (typeof (m as CocoRle).counts === 'string' || Array.isArray((m as CocoRle).counts)) && Array.isArray((m as CocoRle).size)) {
    rle = rleFromCoco(m as CocoRle);
  } else {
    return null;
  }
  return decodeRle(rle, 'row-major');
}

TRANSFORMS.register(loadAnnotationsSchema, (o: LoadAnnotationsOptions) => new LoadAnnotations(o), {
  name: 'LoadAnnotations',
  summary: 'mmdet transform: gt_bboxes, gt_bboxes_labels, gt_ignore_flags, gt_masks from instances; gt_seg_map (with_seg)',
});
