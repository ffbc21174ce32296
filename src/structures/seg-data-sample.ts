import { DataSample } from './data-sample';
import type { PixelData } from './pixel-data';

/** mmseg's SegDataSample: label maps and logits [C, H, W]. */
export class SegDataSample extends DataSample {
  gt_sem_seg?: PixelData;
  pred_sem_seg?: PixelData;
  seg_logits?: PixelData;
}
