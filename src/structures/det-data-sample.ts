import { DataSample } from './data-sample';
import type { InstanceData } from './instance-data';
import type { PixelData } from './pixel-data';

/** mmdet's DetDataSample: ground-truth and ignored instances, proposals, predictions. */
export class DetDataSample extends DataSample {
  gt_instances?: InstanceData;
  ignored_instances?: InstanceData;
  proposals?: InstanceData;
  pred_instances?: InstanceData;
  gt_sem_seg?: PixelData;
}
