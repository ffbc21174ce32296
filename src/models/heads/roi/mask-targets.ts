/**
 * mmdetection's mask_target on the host: for each positive RoI of each image, the bitmap GT
 * mask of its assigned GT is cut out along the RoI and resized to `maskSize` (BitmapMasks
 * .crop_and_resize: the RoI clipped to [0, W] x [0, H] of the masks, RoIAlign with
 * spatial_scale 1, sampling_ratio 0, aligned=True, average pooling), then binarised at 0.5.
 * Images are concatenated in order; each image's rows follow its positives.
 */
import type { BitmapMasks } from '../../../structures/masks';
import type { SamplingResult } from '../../task-modules/samplers/sampling-result';

/** [M * h * w] 0/1 targets of every image's positive RoIs, images in order. */
export function maskTargets(results: readonly SamplingResult[], gtMasks: readonly BitmapMasks[], maskSize: readonly [number, number]): Uint8Array {
  const parts = results.map((r, i) => cropAndResize(gtMasks[i], r.posPriors, r.posAssignedGtInds, maskSize));
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * BitmapMasks.crop_and_resize(bboxes, out_shape, inds, binarize=True) after mask_target's
 * clipping of the boxes to the mask: one [h, w] target per box, from mask `inds[k]`.
 */
export function cropAndResize(masks: BitmapMasks, bboxes: Float32Array, inds: Int32Array, [h, w]: readonly [number, number]): Uint8Array {
  const n = inds.length;
  const out = new Uint8Array(n * h * w);
  if (n === 0 || masks.length === 0) return out;
  const clip = (v: number, hi: number) => Math.fround(Math.min(Math.max(v, 0), hi));
  for (let k = 0; k < n; k++) {
    const g = inds[k];
    if (g < 0 || g >= masks.length) throw new Error(`mask target: GT index ${g} outside the ${masks.length} masks`);
    const box = [clip(bboxes[4 * k], masks.width), clip(bboxes[4 * k + 1], masks.height), clip(bboxes[4 * k + 2], masks.width), clip(bboxes[4 * k + 3], masks.height)];
    const pooled = roiAlignMask(masks.mask(g), masks.height, masks.width, box, h, w);
    for (let p = 0; p < h * w; p++) out[k * h * w + p] = pooled[p] >= 0.5 ? 1 : 0;
  }
  return out;
}

/**
 * RoIAlign (aligned, spatial_scale 1, sampling_ratio 0, avg) of one single-channel 0/1 map
 * [H, W] over box (x1, y1, x2, y2): the box shifted by -0.5 px, each of the h x w bins averages
 * a ceil(roi_h / h) x ceil(roi_w / w) grid of bilinear samples at the sub-cell centres; a sample
 * beyond one pixel outside the map counts 0, otherwise its coordinates clamp to the map.
 */
export function roiAlignMask(map: Uint8Array, H: number, W: number, box: readonly number[], h: number, w: number): Float64Array {
  const [x1, y1] = [box[0] - 0.5, box[1] - 0.5];
  const [roiW, roiH] = [box[2] - 0.5 - x1, box[3] - 0.5 - y1];
  const [binH, binW] = [roiH / h, roiW / w];
  const gridH = Math.max(Math.ceil(roiH / h), 0);
  const gridW = Math.max(Math.ceil(roiW / w), 0);
  const count = Math.max(gridH * gridW, 1);
  const out = new Float64Array(h * w);
  for (let ph = 0; ph < h; ph++) {
    for (let pw = 0; pw < w; pw++) {
      let sum = 0;
      for (let iy = 0; iy < gridH; iy++) {
        const y = y1 + ph * binH + ((iy + 0.5) * binH) / gridH;
        for (let ix = 0; ix < gridW; ix++) sum += bilinear(map, H, W, y, x1 + pw * binW + ((ix + 0.5) * binW) / gridW);
      }
      out[ph * w + pw] = sum / count;
    }
  }
  return out;
}

function bilinear(map: Uint8Array, H: number, W: number, y: number, x: number): number {
  if (y < -1 || y > H || x < -1 || x > W) return 0;
  y = Math.max(y, 0);
  x = Math.max(x, 0);
  let yl = Math.floor(y);
  let xl = Math.floor(x);
  let yh: number;
  let xh: number;
  if (yl >= H - 1) {
    yh = yl = H - 1;
    y = yl;
  } else yh = yl + 1;
  if (xl >= W - 1) {
    xh = xl = W - 1;
    x = xl;
  } else xh = xl + 1;
  const [ly, lx] = [y - yl, x - xl];
  const [hy, hx] = [1 - ly, 1 - lx];
  return hy * hx * map[yl * W + xl] + hy * lx * map[yl * W + xh] + ly * hx * map[yh * W + xl] + ly * lx * map[yh * W + xh];
}
