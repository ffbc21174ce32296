import type { CocoRle, Rle } from '../../structures/mask';
import type { BitmapMasks } from '../../structures/masks';

/**
 * What mmdetection's CocoMetric reads from one DetDataSample, as plain values: `img_id`, the
 * original size and the predictions in original-image coordinates (boxes x1, y1, x2, y2;
 * labels are indices into `dataset_meta.classes`; masks as RLE, or the bitmaps a mask head
 * predicts, which the metric encodes).
 */
export interface DetMetricSample {
  img_id: number;
  ori_shape?: readonly [number, number];
  pred_instances: {
    bboxes: readonly (readonly number[])[];
    scores: readonly number[];
    labels: readonly number[];
    masks?: readonly (CocoRle | Rle)[] | BitmapMasks;
    mask_scores?: readonly number[];
  };
}
