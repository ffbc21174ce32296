import type { LabelMap } from './seg-metric-sample';

/** Per-class pixel counts of one image (mmseg's intersect_and_union). */
export interface SegAreas {
  intersect: Float64Array;
  union: Float64Array;
  pred: Float64Array;
  label: Float64Array;
}

/**
 * Pixels whose GT is `ignoreIndex` are left out; classes outside [0, numClasses) are not
 * counted (torch.histc's range), as in mmseg.
 */
export function intersectAndUnion(pred: LabelMap, label: LabelMap, numClasses: number, ignoreIndex: number): SegAreas {
  if (pred.length !== label.length) throw new RangeError(`prediction has ${pred.length} pixels, ground truth ${label.length}`);
  const intersect = new Float64Array(numClasses);
  const areaPred = new Float64Array(numClasses);
  const areaLabel = new Float64Array(numClasses);
  for (let i = 0; i < label.length; i++) {
    const l = label[i];
    if (l === ignoreIndex) continue;
    const p = pred[i];
    if (p >= 0 && p < numClasses) areaPred[p]++;
    if (l >= 0 && l < numClasses) {
      areaLabel[l]++;
      if (p === l) intersect[l]++;
    }
  }
  const union = areaPred.map((v, c) => v + areaLabel[c] - intersect[c]);
  return { intersect, union, pred: areaPred, label: areaLabel };
}

export function sumAreas(all: readonly SegAreas[], numClasses: number): SegAreas {
  const total: SegAreas = {
    intersect: new Float64Array(numClasses),
    union: new Float64Array(numClasses),
    pred: new Float64Array(numClasses),
    label: new Float64Array(numClasses),
  };
  for (const a of all) {
    for (let c = 0; c < numClasses; c++) {
      total.intersect[c] += a.intersect[c];
      total.union[c] += a.union[c];
      total.pred[c] += a.pred[c];
      total.label[c] += a.label[c];
    }
  }
  return total;
}

export type SegMetricName = 'mIoU' | 'mDice' | 'mFscore';

/**
 * mmseg's total_area_to_metrics, as fractions: aAcc, and per class IoU / Acc (mIoU), Dice / Acc
 * (mDice), Fscore / Precision / Recall (mFscore). A class absent from GT and prediction is NaN.
 */
export function areasToMetrics(t: SegAreas, metrics: readonly SegMetricName[], beta = 1): { aAcc: number; perClass: Record<string, number[]> } {
  const div = (a: Float64Array, b: ArrayLike<number>) => Array.from(a, (v, c) => v / b[c]);
  const sum = (a: Float64Array) => a.reduce((x, y) => x + y, 0);
  const perClass: Record<string, number[]> = {};
  for (const m of metrics) {
    if (m === 'mIoU') {
      perClass.IoU = div(t.intersect, t.union);
      perClass.Acc = div(t.intersect, t.label);
    } else if (m === 'mDice') {
      perClass.Dice = Array.from(t.intersect, (v, c) => (2 * v) / (t.pred[c] + t.label[c]));
      perClass.Acc = div(t.intersect, t.label);
    } else {
      const precision = div(t.intersect, t.pred);
      const recall = div(t.intersect, t.label);
      perClass.Fscore = precision.map((p, c) => ((1 + beta ** 2) * (p * recall[c])) / (beta ** 2 * p + recall[c]));
      perClass.Precision = precision;
      perClass.Recall = recall;
    }
  }
  return { aAcc: sum(t.intersect) / sum(t.label), perClass };
}

/** numpy.nanmean: the mean of the non-NaN values, NaN if there are none. */
export function nanMean(values: readonly number[]): number {
  const kept = values.filter((v) => !Number.isNaN(v));
  return kept.length ? kept.reduce((a, b) => a + b, 0) / kept.length : NaN;
}
