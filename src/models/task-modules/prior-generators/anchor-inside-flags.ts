import { boxCount } from '../host-boxes';

/**
 * mmdetection's `anchor_inside_flags` on the host: valid anchors that, when allowed_border >= 0,
 * also lie inside the image grown by allowed_border (x1, y1 >= -border; x2 < w + border,
 * y2 < h + border, strictly). A negative allowed_border keeps the valid flags as they are.
 * `imgShape` is (h, w).
 */
export function anchorInsideFlags(flatAnchors: Float32Array, validFlags: Uint8Array, imgShape: readonly number[], allowedBorder = 0): Uint8Array {
  const n = boxCount(flatAnchors, 'anchor_inside_flags anchors');
  if (validFlags.length !== n) throw new Error(`anchor_inside_flags: ${n} anchors but ${validFlags.length} valid flags`);
  if (allowedBorder < 0) return Uint8Array.from(validFlags);
  const [h, w] = imgShape;
  const b = allowedBorder;
  const out = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    const k = 4 * j;
    out[j] = validFlags[j] && flatAnchors[k] >= -b && flatAnchors[k + 1] >= -b && flatAnchors[k + 2] < w + b && flatAnchors[k + 3] < h + b ? 1 : 0;
  }
  return out;
}
