import { rleArea, rleToBbox, type Rle } from './rle';

/** A D×G IoU table, row-major: `values[d * cols + g]`. */
export interface IouMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly values: Float64Array;
}

type Box = ArrayLike<number>;

/**
 * IoU of every detection box with every GT box, `[x, y, w, h]` each, as maskApi's bbIou. Against
 * a crowd GT the overlap is divided by the detection's area alone (a crowd region can hold many).
 */
export function bboxIou(dt: readonly Box[], gt: readonly Box[], iscrowd?: ArrayLike<number | boolean>): IouMatrix {
  const values = new Float64Array(dt.length * gt.length);
  for (let g = 0; g < gt.length; g++) {
    const G = gt[g];
    const ga = G[2] * G[3];
    const crowd = !!iscrowd?.[g];
    for (let d = 0; d < dt.length; d++) {
      values[d * gt.length + g] = boxPairIou(dt[d], G, ga, crowd);
    }
  }
  return { rows: dt.length, cols: gt.length, values };
}

function boxPairIou(D: Box, G: Box, ga: number, crowd: boolean): number {
  const w = Math.min(D[2] + D[0], G[2] + G[0]) - Math.max(D[0], G[0]);
  if (w <= 0) return 0;
  const h = Math.min(D[3] + D[1], G[3] + G[1]) - Math.max(D[1], G[1]);
  if (h <= 0) return 0;
  const i = w * h;
  const da = D[2] * D[3];
  return i / (crowd ? da : da + ga - i);
}

/**
 * Mask IoU of every detection RLE with every GT RLE, as maskApi's rleIou: pairs whose boxes do
 * not overlap are 0 without walking the runs; masks of different sizes give -1; against a crowd
 * GT the intersection is divided by the detection's area.
 */
export function rleIou(dt: readonly Rle[], gt: readonly Rle[], iscrowd?: ArrayLike<number | boolean>): IouMatrix {
  const dtBoxes = dt.map(rleToBbox);
  const gtBoxes = gt.map(rleToBbox);
  const boxes = bboxIou(dtBoxes, gtBoxes, iscrowd);
  const values = boxes.values;
  for (let g = 0; g < gt.length; g++) {
    const crowd = !!iscrowd?.[g];
    for (let d = 0; d < dt.length; d++) {
      const k = d * gt.length + g;
      if (!(values[k] > 0)) continue;
      if (dt[d].h !== gt[g].h || dt[d].w !== gt[g].w) {
        values[k] = -1;
        continue;
      }
      values[k] = maskPairIou(dt[d], gt[g], crowd);
    }
  }
  return { rows: dt.length, cols: gt.length, values };
}

function maskPairIou(D: Rle, G: Rle, crowd: boolean): number {
  const A = D.counts;
  const B = G.counts;
  let ca = A[0];
  let cb = B[0];
  let va = false;
  let vb = false;
  let a = 1;
  let b = 1;
  let inter = 0;
  let union = 0;
  let ct = 1;
  while (ct > 0) {
    const c = Math.min(ca, cb);
    if (va || vb) {
      union += c;
      if (va && vb) inter += c;
    }
    ct = 0;
    ca -= c;
    if (!ca && a < A.length) {
      ca = A[a++];
      va = !va;
    }
    ct += ca;
    cb -= c;
    if (!cb && b < B.length) {
      cb = B[b++];
      vb = !vb;
    }
    ct += cb;
  }
  if (inter === 0) union = 1;
  else if (crowd) union = rleArea(D);
  return inter / union;
}
