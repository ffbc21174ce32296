import type { PipelineImage } from './results';

/** A 2×3 affine matrix, row-major: [a, b, c, d, e, f] maps (x, y) to (a x + b y + c, d x + e y + f). */
export type Affine = [number, number, number, number, number, number];

const f32 = Math.fround;

/**
 * mmpose's get_warp_matrix (fix_aspect_ratio, no shift): the affine map taking the box of
 * `center` and `scale` (w, h), rotated by `rot` degrees, onto an image of `outputSize` (w, h).
 * Built as mmpose builds it: three float32 point pairs (the centre, a point half a width
 * to the side, a third at right angles) solved exactly, as cv2.getAffineTransform does.
 */
export function getWarpMatrix(center: readonly number[], scale: readonly number[], rot: number, outputSize: readonly [number, number], inv = false): Affine {
  const r = (rot * Math.PI) / 180;
  const [sn, cs] = [Math.sin(r), Math.cos(r)];
  const [dw, dh] = outputSize;
  const srcDir = [cs * (scale[0] * -0.5), sn * (scale[0] * -0.5)];
  const s0 = [f32(center[0]), f32(center[1])];
  const s1 = [f32(center[0] + srcDir[0]), f32(center[1] + srcDir[1])];
  const d0 = [f32(dw * 0.5), f32(dh * 0.5)];
  const d1 = [f32(dw * 0.5 + dw * -0.5), f32(dh * 0.5)];
  const src = [s0, s1, thirdPoint(s0, s1)];
  const dst = [d0, d1, thirdPoint(d0, d1)];
  return inv ? affineFromPoints(dst, src) : affineFromPoints(src, dst);
}

/**
 * mmpose's get_udp_warp_matrix (UDP, Huang et al. 2020): the unbiased map that sends the box's
 * pixel extent (scale) onto output_size - 1 pixels, float32 as mmpose returns it.
 */
export function getUdpWarpMatrix(center: readonly number[], scale: readonly number[], rot: number, outputSize: readonly [number, number]): Affine {
  const r = (rot * Math.PI) / 180;
  const [sn, cs] = [Math.sin(r), Math.cos(r)];
  const [iw, ih] = [center[0] * 2, center[1] * 2];
  const sx = (outputSize[0] - 1) / scale[0];
  const sy = (outputSize[1] - 1) / scale[1];
  return [
    f32(cs * sx),
    f32(-sn * sx),
    f32(sx * (-0.5 * iw * cs + 0.5 * ih * sn + 0.5 * scale[0])),
    f32(sn * sy),
    f32(cs * sy),
    f32(sy * (-0.5 * iw * sn - 0.5 * ih * cs + 0.5 * scale[1])),
  ];
}

/** mmpose's _get_3rd_point: b + (a - b) turned 90° anticlockwise, in float32. */
function thirdPoint(a: number[], b: number[]): number[] {
  const dx = f32(a[0] - b[0]);
  const dy = f32(a[1] - b[1]);
  return [f32(b[0] - dy), f32(b[1] + dx)];
}

/** The affine map sending the three `src` points onto `dst` (cv2.getAffineTransform), in double. */
export function affineFromPoints(src: number[][], dst: number[][]): Affine {
  const [[x0, y0], [x1, y1], [x2, y2]] = src;
  const det = x0 * (y1 - y2) - y0 * (x1 - x2) + (x1 * y2 - x2 * y1);
  if (det === 0) throw new Error('affine transform from collinear points');
  // inverse of [[x0, x1, x2], [y0, y1, y2], [1, 1, 1]], column by column
  const inv = [
    [(y1 - y2) / det, (x2 - x1) / det, (x1 * y2 - x2 * y1) / det],
    [(y2 - y0) / det, (x0 - x2) / det, (x2 * y0 - x0 * y2) / det],
    [(y0 - y1) / det, (x1 - x0) / det, (x0 * y1 - x1 * y0) / det],
  ];
  const row = (d: number): [number, number, number] => {
    const v = [dst[0][d], dst[1][d], dst[2][d]];
    return [0, 1, 2].map((c) => v[0] * inv[0][c] + v[1] * inv[1][c] + v[2] * inv[2][c]) as [number, number, number];
  };
  return [...row(0), ...row(1)] as Affine;
}

/** (x, y) through the matrix, float32 as cv2.transform returns for float32 points. */
export function applyAffine(m: Affine, x: number, y: number): [number, number] {
  return [f32(m[0] * x + m[1] * y + m[2]), f32(m[3] * x + m[4] * y + m[5])];
}

/** The inverse map, computed as cv2.warpAffine inverts its matrix (double). */
export function invertAffine(m: Affine): Affine {
  let d = m[0] * m[4] - m[1] * m[3];
  d = d !== 0 ? 1 / d : 0;
  const [a11, a22, a12, a21] = [m[4] * d, m[0] * d, -m[1] * d, -m[3] * d];
  return [a11, a12, -a11 * m[2] - a12 * m[5], a21, a22, -a21 * m[2] - a22 * m[5]];
}

// cv2.warpAffine's fixed point: source positions in 1/1024 pixel, then 1/32-pixel bilinear taps
const AB_BITS = 10;
const INTER_BITS = 5;
const TAB = 1 << INTER_BITS;
const ROUND_DELTA = (1 << AB_BITS) / TAB / 2;

/** Round half to even, as OpenCV's cvRound. */
function rint(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * cv2.warpAffine(img, m, (w, h), flags=INTER_LINEAR) with a constant 0 border: each output pixel
 * samples the source at m⁻¹(x, y), quantised to 1/32 pixel as OpenCV does; 8-bit images are
 * blended in OpenCV's 15-bit fixed point, float ones in float. Taps outside the image read 0.
 */
export function warpAffineImage(img: PipelineImage, m: Affine, w: number, h: number): PipelineImage {
  const inv = invertAffine(m);
  const { width: sw, height: sh, channels: c } = img;
  const src = img.data;
  const u8 = src instanceof Uint8Array;
  const out = new (src.constructor as new (n: number) => PipelineImage['data'])(w * h * c);
  const adelta = Array.from({ length: w }, (_, x) => rint(inv[0] * x * (1 << AB_BITS)));
  const bdelta = Array.from({ length: w }, (_, x) => rint(inv[3] * x * (1 << AB_BITS)));
  const px = (yy: number, xx: number, k: number) => (xx >= 0 && yy >= 0 && xx < sw && yy < sh ? src[(yy * sw + xx) * c + k] : 0);
  for (let y = 0; y < h; y++) {
    const X0 = rint((inv[1] * y + inv[2]) * (1 << AB_BITS)) + ROUND_DELTA;
    const Y0 = rint((inv[4] * y + inv[5]) * (1 << AB_BITS)) + ROUND_DELTA;
    for (let x = 0; x < w; x++) {
      const X = (X0 + adelta[x]) >> (AB_BITS - INTER_BITS);
      const Y = (Y0 + bdelta[x]) >> (AB_BITS - INTER_BITS);
      const sx = X >> INTER_BITS;
      const sy = Y >> INTER_BITS;
      const tx = X & (TAB - 1);
      const ty = Y & (TAB - 1);
      const o = (y * w + x) * c;
      if (sx >= sw || sx + 1 < 0 || sy >= sh || sy + 1 < 0) continue; // all four taps outside: the border value 0
      if (sx >= 0 && sy >= 0 && sx + 1 < sw && sy + 1 < sh) {
        // all four taps inside (most pixels): the same sums with the offsets and weights hoisted
        const p00 = (sy * sw + sx) * c;
        const p01 = p00 + c;
        const p10 = p00 + sw * c;
        const p11 = p10 + c;
        if (u8) {
          const [w00, w01, w10, w11] = [(TAB - tx) * (TAB - ty), tx * (TAB - ty), (TAB - tx) * ty, tx * ty];
          for (let k = 0; k < c; k++) {
            const sum = (w00 * src[p00 + k] + w01 * src[p01 + k] + w10 * src[p10 + k] + w11 * src[p11 + k]) * 32;
            out[o + k] = Math.min(255, Math.max(0, (sum + (1 << 14)) >> 15));
          }
          continue;
        }
        const fx = tx / TAB;
        const fy = ty / TAB;
        const [w00, w01, w10, w11] = [(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy];
        for (let k = 0; k < c; k++) {
          const v = w00 * src[p00 + k] + w01 * src[p01 + k] + w10 * src[p10 + k] + w11 * src[p11 + k];
          out[o + k] = src instanceof Uint16Array ? Math.min(65535, Math.max(0, Math.round(v))) : v;
        }
        continue;
      }
      for (let k = 0; k < c; k++) {
        const [v0, v1, v2, v3] = [px(sy, sx, k), px(sy, sx + 1, k), px(sy + 1, sx, k), px(sy + 1, sx + 1, k)];
        if (u8) {
          // weights (1 - fx)(1 - fy) ... in 1/32768, which are whole numbers on the 1/32 grid
          const sum = ((TAB - tx) * (TAB - ty) * v0 + tx * (TAB - ty) * v1 + (TAB - tx) * ty * v2 + tx * ty * v3) * 32;
          out[o + k] = Math.min(255, Math.max(0, (sum + (1 << 14)) >> 15));
        } else {
          const [fx, fy] = [tx / TAB, ty / TAB];
          const v = (1 - fx) * (1 - fy) * v0 + fx * (1 - fy) * v1 + (1 - fx) * fy * v2 + fx * fy * v3;
          out[o + k] = src instanceof Uint16Array ? Math.min(65535, Math.max(0, Math.round(v))) : v;
        }
      }
    }
  }
  return { ...img, data: out, width: w, height: h };
}
