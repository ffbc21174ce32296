import { BitmapMasks } from '../../../structures/masks';

const f32 = Math.fround;

/**
 * mmdetection's mask pasting (FCNMaskHead._predict_by_feat_single with _do_paste_mask, its
 * CPU path: one detection at a time, `skip_empty=True`), in float32 as PyTorch computes it.
 * `probs` holds N masks of mh x mw probabilities, `boxes` N rows x1, y1, x2, y2 in the frame
 * of the imgH x imgW image. Pixel (x, y) of a box's window samples its mask at
 * u = ((x + 0.5) - x1) / (x2 - x1) * 2 - 1 (v likewise) with grid_sample (bilinear, zero
 * padding, align_corners=False) and is 1 when the value is >= `threshold`. The window is
 * columns max(floor(x1) - 1, 0) .. min(ceil(x2) + 1, imgW) - 1 (rows likewise); every pixel
 * outside it is 0.
 */
export function pasteMasks(
  probs: Float32Array,
  n: number,
  maskH: number,
  maskW: number,
  boxes: ArrayLike<number>,
  imgH: number,
  imgW: number,
  threshold: number,
): BitmapMasks {
  const out = new Uint8Array(n * imgH * imgW);
  for (let i = 0; i < n; i++) {
    pasteMask(
      probs.subarray(i * maskH * maskW, (i + 1) * maskH * maskW),
      maskH,
      maskW,
      [boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3]],
      imgH,
      imgW,
      threshold,
      out.subarray(i * imgH * imgW, (i + 1) * imgH * imgW),
    );
  }
  return new BitmapMasks(out, n, imgH, imgW);
}

/** One mask into `out` (imgH x imgW, row-major, zero-filled): see pasteMasks. */
export function pasteMask(
  mask: Float32Array,
  maskH: number,
  maskW: number,
  box: readonly number[],
  imgH: number,
  imgW: number,
  threshold: number,
  out: Uint8Array,
): void {
  const [x0, y0, x1, y1] = box.map(f32);
  const cols = windowAxis(x0, x1, imgW);
  const rows = windowAxis(y0, y1, imgH);
  const us = cols.map((x) => gridCoord(x, x0, x1));
  const vs = rows.map((y) => gridCoord(y, y0, y1));
  const thr = f32(threshold);
  for (let r = 0; r < rows.length; r++) {
    const rowOffset = rows[r] * imgW;
    for (let c = 0; c < cols.length; c++) {
      if (sampleBilinear(mask, maskH, maskW, us[c], vs[r]) >= thr) out[rowOffset + cols[c]] = 1;
    }
  }
}

/** Pixel indices of the window along one axis: max(floor(lo) - 1, 0) .. min(ceil(hi) + 1, size) - 1. */
function windowAxis(lo: number, hi: number, size: number): number[] {
  const start = Math.max(Math.floor(lo) - 1, 0);
  const end = Math.min(Math.ceil(hi) + 1, size);
  const out: number[] = [];
  for (let p = start; p < end; p++) out.push(p);
  return out;
}

/** ((p + 0.5) - lo) / (hi - lo) * 2 - 1 in float32; an infinite value becomes 0, as mmdetection sets it. */
function gridCoord(p: number, lo: number, hi: number): number {
  const t = f32(f32(f32(f32(p + 0.5) - lo) / f32(hi - lo)) * 2);
  const g = f32(t - 1);
  return g === Infinity || g === -Infinity ? 0 : g;
}

/**
 * PyTorch's CPU grid_sample (bilinear, zeros padding, align_corners=False) of one channel at
 * normalised (u, v): source x = (u + 1) * W / 2 - 0.5, the four neighbours weighted by the
 * distances to the opposite sides, out-of-range neighbours contributing 0. NaN gives 0.
 */
function sampleBilinear(m: Float32Array, h: number, w: number, u: number, v: number): number {
  const x = f32(f32(f32(u + 1) * f32(w / 2)) - 0.5);
  const y = f32(f32(f32(v + 1) * f32(h / 2)) - 0.5);
  if (Number.isNaN(x) || Number.isNaN(y)) return 0;
  const xw = Math.floor(x);
  const yn = Math.floor(y);
  const we = f32(x - xw);
  const ea = f32(1 - we);
  const ns = f32(y - yn);
  const so = f32(1 - ns);
  const at = (yy: number, xx: number) => (yy >= 0 && yy < h && xx >= 0 && xx < w ? m[yy * w + xx] : 0);
  let acc = f32(at(yn, xw) * f32(so * ea));
  acc = f32(acc + f32(at(yn, xw + 1) * f32(so * we)));
  acc = f32(acc + f32(at(yn + 1, xw) * f32(ns * ea)));
  return f32(acc + f32(at(yn + 1, xw + 1) * f32(ns * we)));
}
