import type { PipelineImage } from './results';

/**
 * Rows y1..y2-1 and columns x1..x2-1 of an HWC image, the ends clipped to the image as numpy
 * slicing clips them (`img[y1:y2, x1:x2]`).
 */
export function cropImage<I extends PipelineImage>(img: I, y1: number, y2: number, x1: number, x2: number): I {
  const { width: w, channels: c } = img;
  const [ya, yb] = [Math.max(0, Math.min(y1, img.height)), Math.max(0, Math.min(y2, img.height))];
  const [xa, xb] = [Math.max(0, Math.min(x1, w)), Math.max(0, Math.min(x2, w))];
  const [h2, w2] = [Math.max(0, yb - ya), Math.max(0, xb - xa)];
  const out = new (img.data.constructor as new (n: number) => I['data'])(h2 * w2 * c);
  for (let y = 0; y < h2; y++) out.set(img.data.subarray(((ya + y) * w + xa) * c, ((ya + y) * w + xa + w2) * c), y * w2 * c);
  return { ...img, data: out, height: h2, width: w2 };
}
