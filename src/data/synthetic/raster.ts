/**
 * Binary masks (row-major, one byte a pixel) and the shapes the synthetic generators draw
 * into them. A pixel belongs to a shape when its centre (x + 0.5, y + 0.5) lies inside, the
 * convention COCO's boxes follow (pixel x spans [x, x + 1)).
 */
export interface Mask {
  data: Uint8Array;
  height: number;
  width: number;
  /** Rows [y0, y1) hold every set pixel (so operations can skip the rest of the image). */
  y0: number;
  y1: number;
}

export type Point = readonly [number, number];

export function emptyMask(height: number, width: number): Mask {
  return { data: new Uint8Array(height * width), height, width, y0: height, y1: 0 };
}

/** Fill a simple or self-intersecting polygon (even-odd rule) into a new mask. */
export function polygonMask(height: number, width: number, pts: readonly Point[]): Mask {
  const m = emptyMask(height, width);
  const xs: number[] = [];
  const n = pts.length;
  const [, top, , bottom] = polygonExtent(pts);
  m.y0 = Math.max(0, Math.floor(top));
  m.y1 = Math.min(height, Math.ceil(bottom) + 1);
  for (let y = m.y0; y < m.y1; y++) {
    const yc = y + 0.5;
    xs.length = 0;
    for (let i = 0; i < n; i++) {
      const [x0, y0] = pts[i];
      const [x1, y1] = pts[(i + 1) % n];
      // half-open in y so a vertex on the scanline is counted once
      if ((y0 <= yc && yc < y1) || (y1 <= yc && yc < y0)) xs.push(x0 + ((yc - y0) * (x1 - x0)) / (y1 - y0));
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const from = Math.max(0, Math.ceil(xs[k] - 0.5));
      const to = Math.min(width, Math.ceil(xs[k + 1] - 0.5));
      if (to > from) m.data.fill(1, y * width + from, y * width + to);
    }
  }
  return m;
}

/** Set the pixels within `radius` of the segment a-b (a thick line with round ends; a disk when a = b). */
export function drawCapsule(m: Mask, a: Point, b: Point, radius: number): void {
  const x0 = Math.max(0, Math.floor(Math.min(a[0], b[0]) - radius));
  const x1 = Math.min(m.width - 1, Math.ceil(Math.max(a[0], b[0]) + radius));
  const y0 = Math.max(0, Math.floor(Math.min(a[1], b[1]) - radius));
  const y1 = Math.min(m.height - 1, Math.ceil(Math.max(a[1], b[1]) + radius));
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  const r2 = radius * radius;
  m.y0 = Math.min(m.y0, y0);
  m.y1 = Math.max(m.y1, y1 + 1);
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const px = x + 0.5 - a[0];
      const py = y + 0.5 - a[1];
      const t = len2 > 0 ? Math.min(1, Math.max(0, (px * dx + py * dy) / len2)) : 0;
      const ex = px - t * dx;
      const ey = py - t * dy;
      if (ex * ex + ey * ey <= r2) m.data[y * m.width + x] = 1;
    }
  }
}

export function maskArea(m: Mask): number {
  let n = 0;
  for (let i = m.y0 * m.width; i < m.y1 * m.width; i++) n += m.data[i];
  return n;
}

/** Tight box [x, y, w, h] of the set pixels (COCO's bbox), or null for an empty mask. */
export function maskBox(m: Mask): [number, number, number, number] | null {
  let x0 = m.width;
  let y0 = m.height;
  let x1 = -1;
  let y1 = -1;
  for (let y = m.y0; y < m.y1; y++) {
    const row = y * m.width;
    for (let x = 0; x < m.width; x++) {
      if (!m.data[row + x]) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      y1 = y;
    }
  }
  return x1 < 0 ? null : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}

/** Clear in `m` every pixel set in `cover` (what a shape drawn on top hides); returns how many were cleared. */
export function subtractMask(m: Mask, cover: Mask): number {
  let cleared = 0;
  const [from, to] = commonRows(m, cover);
  for (let i = from; i < to; i++) {
    if (cover.data[i] && m.data[i]) {
      m.data[i] = 0;
      cleared++;
    }
  }
  return cleared;
}

/** Set in `m` every pixel set in `other`. */
export function addMask(m: Mask, other: Mask): void {
  for (let i = other.y0 * other.width; i < other.y1 * other.width; i++) if (other.data[i]) m.data[i] = 1;
  m.y0 = Math.min(m.y0, other.y0);
  m.y1 = Math.max(m.y1, other.y1);
}

/** Pixels set in both. */
export function overlapArea(a: Mask, b: Mask): number {
  let n = 0;
  const [from, to] = commonRows(a, b);
  for (let i = from; i < to; i++) n += a.data[i] & b.data[i];
  return n;
}

/** Flat index range of the rows both masks may have set. */
function commonRows(a: Mask, b: Mask): [number, number] {
  return [Math.max(a.y0, b.y0) * a.width, Math.min(a.y1, b.y1) * a.width];
}

/** Shoelace area of a polygon. */
export function polygonArea(pts: readonly Point[]): number {
  let s = 0;
  for (let i = 0; i < pts.length; i++) {
    const [x0, y0] = pts[i];
    const [x1, y1] = pts[(i + 1) % pts.length];
    s += x0 * y1 - x1 * y0;
  }
  return Math.abs(s) / 2;
}

/** [min x, min y, max x, max y] of the vertices. */
export function polygonExtent(pts: readonly Point[]): [number, number, number, number] {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [x, y] of pts) {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  return [x0, y0, x1, y1];
}
