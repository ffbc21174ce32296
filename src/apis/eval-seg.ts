import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FileError, UserError } from '../core/errors';
import { readImage } from '../data/image-io/decode-image';
import { areasToMetrics, intersectAndUnion, nanMean, sumAreas, type LabelMap, type SegAreas } from '../evaluation/metrics';

export interface EvalSegOptions {
  gt: string;
  pred: string;
  numClasses: number;
  ignoreIndex?: number;
  reduceZeroLabel?: boolean;
}

export interface EvalSegResult {
  images: number;
  /** Fractions; per-class NaN where a class is absent from GT and prediction (IoU) or from GT (Acc). */
  aAcc: number;
  mIoU: number;
  mAcc: number;
  per_class: { class: number; IoU: number; Acc: number }[];
}

/** A label map PNG as class indices (one channel, 8 or 16 bit). */
async function readLabelMap(file: string): Promise<{ data: LabelMap; height: number; width: number }> {
  const img = await readImage(file, { colorType: 'unchanged' });
  if (img.channels !== 1) {
    throw new FileError(file, `label map has ${img.channels} channels; expected a single-channel (grayscale) PNG of class indices`);
  }
  return { data: img.data, height: img.height, width: img.width };
}

/** mmseg's reduce_zero_label on a GT map: 0 becomes 255 (ignored), every other label drops by one. */
function reduceZeroLabel(m: LabelMap): Uint8Array {
  return Uint8Array.from(m as ArrayLike<number>, (v) => (v === 0 ? 255 : v - 1 === 254 ? 255 : (v - 1) & 0xff));
}

/**
 * mmseg's IoUMetric over two folders of label-map PNGs paired by file name (`hrdet eval-seg`).
 * Every GT file needs a prediction of the same name and size.
 */
export async function evalSegFolders(o: EvalSegOptions): Promise<EvalSegResult> {
  if (!Number.isInteger(o.numClasses) || o.numClasses < 1) throw new UserError(`--num-classes: expected a positive integer, got ${o.numClasses}`);
  const ignore = o.ignoreIndex ?? 255;
  const list = (dir: string) => {
    try {
      return readdirSync(dir).filter((f) => f.toLowerCase().endsWith('.png')).sort();
    } catch {
      throw new FileError(dir, 'cannot list this folder');
    }
  };
  const gtFiles = list(o.gt);
  if (gtFiles.length === 0) throw new FileError(o.gt, 'no .png label maps in this folder');
  const predFiles = new Set(list(o.pred));
  const missing = gtFiles.filter((f) => !predFiles.has(f));
  if (missing.length) throw new FileError(o.pred, `no prediction for ${missing.length} GT file(s), e.g. ${missing[0]}`);
  const areas: SegAreas[] = [];
  for (const f of gtFiles) {
    const gt = await readLabelMap(join(o.gt, f));
    const pred = await readLabelMap(join(o.pred, f));
    if (gt.height !== pred.height || gt.width !== pred.width) {
      throw new FileError(join(o.pred, f), `is ${pred.height}x${pred.width}, the GT ${gt.height}x${gt.width}`);
    }
    areas.push(intersectAndUnion(pred.data, o.reduceZeroLabel ? reduceZeroLabel(gt.data) : gt.data, o.numClasses, ignore));
  }
  const { aAcc, perClass } = areasToMetrics(sumAreas(areas, o.numClasses), ['mIoU']);
  return {
    images: gtFiles.length,
    aAcc,
    mIoU: nanMean(perClass.IoU),
    mAcc: nanMean(perClass.Acc),
    per_class: perClass.IoU.map((iou, c) => ({ class: c, IoU: iou, Acc: perClass.Acc[c] })),
  };
}
