import { makeRle, mergeRles, type Rle } from './rle';

/** C's `(int)` cast: truncation toward zero. */
const toInt = Math.trunc;

/**
 * Rasterise one polygon `[x1, y1, x2, y2, ...]` into an `h`×`w` RLE exactly as cocoapi's
 * rleFrPoly: vertices are scaled by 5 and rounded, every edge is walked densely on that fine
 * grid, the points where the walk crosses a pixel-centre column (x = k + 0.5 at scale 1) give
 * the column's boundary rows, and the sorted boundary positions become the runs.
 */
export function rleFromPolygon(xy: ArrayLike<number>, h: number, w: number): Rle {
  const scale = 5;
  const k = Math.floor(xy.length / 2);
  const x = new Int32Array(k + 1);
  const y = new Int32Array(k + 1);
  for (let j = 0; j < k; j++) x[j] = toInt(scale * xy[2 * j] + 0.5);
  for (let j = 0; j < k; j++) y[j] = toInt(scale * xy[2 * j + 1] + 0.5);
  x[k] = x[0];
  y[k] = y[0];
  let m = 0;
  for (let j = 0; j < k; j++) m += Math.max(Math.abs(x[j] - x[j + 1]), Math.abs(y[j] - y[j + 1])) + 1;
  const u = new Int32Array(m);
  const v = new Int32Array(m);
  m = 0;
  for (let j = 0; j < k; j++) {
    let xs = x[j];
    let xe = x[j + 1];
    let ys = y[j];
    let ye = y[j + 1];
    const dx = Math.abs(xe - xs);
    const dy = Math.abs(ys - ye);
    const flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) {
      [xs, xe] = [xe, xs];
      [ys, ye] = [ye, ys];
    }
    if (dx >= dy) {
      const s = (ye - ys) / dx;
      for (let d = 0; d <= dx; d++) {
        const t = flip ? dx - d : d;
        u[m] = t + xs;
        v[m] = toInt(ys + s * t + 0.5);
        m++;
      }
    } else {
      const s = (xe - xs) / dy;
      for (let d = 0; d <= dy; d++) {
        const t = flip ? dy - d : d;
        v[m] = t + ys;
        u[m] = toInt(xs + s * t + 0.5);
        m++;
      }
    }
  }
  // boundary points on pixel-centre columns, back at scale 1
  const bounds: number[] = [];
  for (let j = 1; j < m; j++) {
    if (u[j] === u[j - 1]) continue;
    let xd = u[j] < u[j - 1] ? u[j] : u[j] - 1;
    xd = (xd + 0.5) / scale - 0.5;
    if (Math.floor(xd) !== xd || xd < 0 || xd > w - 1) continue;
    let yd = v[j] < v[j - 1] ? v[j] : v[j - 1];
    yd = (yd + 0.5) / scale - 0.5;
    if (yd < 0) yd = 0;
    else if (yd > h) yd = h;
    yd = Math.ceil(yd);
    bounds.push((xd * h + yd) >>> 0);
  }
  bounds.push(h * w);
  const a = Uint32Array.from(bounds).sort();
  let p = 0;
  for (let j = 0; j < a.length; j++) {
    const t = a[j];
    a[j] -= p;
    p = t;
  }
  // a zero-length run joins its neighbours: the next run is added to the previous one
  const b: number[] = [a[0]];
  for (let j = 1; j < a.length; ) {
    if (a[j] > 0) b.push(a[j++]);
    else {
      j++;
      if (j < a.length) b[b.length - 1] += a[j++];
    }
  }
  return makeRle(h, w, b);
}

/** The box `[x, y, w, h]` as the 4-corner polygon cocoapi's rleFrBbox rasterises. */
export function rleFromBbox(bbox: ArrayLike<number>, h: number, w: number): Rle {
  const [xs, ys] = [bbox[0], bbox[1]];
  const [xe, ye] = [xs + bbox[2], ys + bbox[3]];
  return rleFromPolygon([xs, ys, xs, ye, xe, ye, xe, ys], h, w);
}

/** A multi-part polygon as one mask: each part rasterised, then their union (COCO's annToRLE). */
export function rleFromPolygons(polygons: readonly ArrayLike<number>[], h: number, w: number): Rle {
  return mergeRles(
    polygons.map((p) => rleFromPolygon(p, h, w)),
    false,
  );
}
