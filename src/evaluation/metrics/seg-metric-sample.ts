/** A label map: H×W class indices, row-major. */
export type LabelMap = Uint8Array | Uint16Array | Int32Array | readonly number[];

/** What mmseg's IoUMetric reads from one SegDataSample: predicted and GT label maps of one size. */
export interface SegMetricSample {
  pred_sem_seg: LabelMap;
  gt_sem_seg: LabelMap;
  width: number;
  height: number;
}
