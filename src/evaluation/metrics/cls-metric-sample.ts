/** What mmpretrain's Accuracy reads from one DataSample: class scores (or a label) and the GT label. */
export interface ClsMetricSample {
  pred_score?: readonly number[];
  pred_label?: number;
  gt_label: number;
}
