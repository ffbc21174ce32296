import { DataSample } from './data-sample';

/** mmpretrain's DataSample for classification: labels, predicted scores and label. */
export class ClsDataSample extends DataSample {
  gt_label?: Int32Array;
  /** Soft targets (mixup, label smoothing done in the data). */
  gt_score?: Float32Array;
  pred_score?: Float32Array;
  pred_label?: Int32Array;
}
