/**
 * Run-length encoded binary masks as cocoapi's maskApi.c keeps them: the mask is read in
 * column-major order (down each column, then the next column), `counts` alternates runs of
 * 0s and 1s and always starts with a (possibly empty) run of 0s.
 */
export interface Rle {
  readonly h: number;
  readonly w: number;
  readonly counts: Uint32Array;
}

/** Memory order of a flat H×W bitmap: `row-major` is index y*w+x (images), `column-major` x*h+y (cocoapi). */
export type BitmapOrder = 'row-major' | 'column-major';

export function makeRle(h: number, w: number, counts: ArrayLike<number>): Rle {
  return { h, w, counts: counts instanceof Uint32Array ? counts : Uint32Array.from(counts) };
}

/**
 * RLE of an H×W binary bitmap (nonzero = foreground). The bitmap is row-major by default, as
 * image buffers are; the runs are counted column-major, as cocoapi's `encode` does.
 */
export function encodeMask(bitmap: ArrayLike<number>, h: number, w: number, order: BitmapOrder = 'row-major'): Rle {
  const a = h * w;
  if (bitmap.length !== a) throw new RangeError(`encodeMask: bitmap has ${bitmap.length} values, expected ${h}x${w}=${a}`);
  const runs: number[] = [];
  let prev = 0;
  let run = 0;
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) {
      const v = (order === 'row-major' ? bitmap[y * w + x] : bitmap[x * h + y]) ? 1 : 0;
      if (v !== prev) {
        runs.push(run);
        run = 0;
        prev = v;
      }
      run++;
    }
  }
  runs.push(run);
  return makeRle(h, w, runs);
}

/** The H×W 0/1 bitmap of an RLE, row-major by default. */
export function decodeRle(rle: Rle, order: BitmapOrder = 'row-major'): Uint8Array {
  const { h, w, counts } = rle;
  const out = new Uint8Array(h * w);
  let pos = 0;
  for (let j = 0; j < counts.length; j++) {
    const end = pos + counts[j];
    if (end > h * w) throw new RangeError(`decodeRle: runs cover more than ${h}x${w} pixels`);
    if (j % 2 === 1) {
      for (let p = pos; p < end; p++) {
        if (order === 'column-major') out[p] = 1;
        else out[(p % h) * w + Math.floor(p / h)] = 1;
      }
    }
    pos = end;
  }
  return out;
}

/** Foreground pixel count (the sum of the odd runs). */
export function rleArea(rle: Rle): number {
  let a = 0;
  for (let j = 1; j < rle.counts.length; j += 2) a += rle.counts[j];
  return a;
}

/**
 * Tight `[x, y, w, h]` box of the foreground, as maskApi's rleToBbox: a run that wraps from one
 * column into the next spans the full height. An empty mask gives `[0, 0, 0, 0]`.
 */
export function rleToBbox(rle: Rle): [number, number, number, number] {
  const { h, w, counts } = rle;
  const m = counts.length - (counts.length % 2);
  if (m === 0) return [0, 0, 0, 0];
  let xs = w;
  let ys = h;
  let xe = 0;
  let ye = 0;
  let cc = 0;
  let xp = 0;
  for (let j = 0; j < m; j++) {
    cc += counts[j];
    const t = cc - (j % 2);
    const y = t % h;
    const x = (t - y) / h;
    if (j % 2 === 0) xp = x;
    else if (xp < x) {
      ys = 0;
      ye = h - 1;
    }
    xs = Math.min(xs, x);
    xe = Math.max(xe, x);
    ys = Math.min(ys, y);
    ye = Math.max(ye, y);
  }
  return [xs, ys, xe - xs + 1, ye - ys + 1];
}

/**
 * Union (or intersection) of RLEs of one size, merged pairwise left to right as maskApi's
 * rleMerge. Sizes that differ give an empty 0×0 RLE, as cocoapi does; no input gives 0×0 too.
 */
export function mergeRles(rles: readonly Rle[], intersect = false): Rle {
  if (rles.length === 0) return makeRle(0, 0, []);
  if (rles.length === 1) return rles[0];
  const { h, w } = rles[0];
  let acc = rles[0].counts;
  for (let i = 1; i < rles.length; i++) {
    const b = rles[i];
    if (b.h !== h || b.w !== w) return makeRle(0, 0, []);
    acc = mergeTwo(acc, b.counts, intersect);
  }
  return makeRle(h, w, acc);
}

function mergeTwo(A: Uint32Array, B: Uint32Array, intersect: boolean): Uint32Array {
  const out: number[] = [];
  let ca = A[0];
  let cb = B[0];
  let va = false;
  let vb = false;
  let v: boolean = false;
  let a = 1;
  let b = 1;
  let cc = 0;
  let ct = 1;
  while (ct > 0) {
    const c = Math.min(ca, cb);
    cc += c;
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
    const vp: boolean = v;
    v = intersect ? va && vb : va || vb;
    if (v !== vp || ct === 0) {
      out.push(cc);
      cc = 0;
    }
  }
  return Uint32Array.from(out);
}
