/**
 * Direct-loop convolution gradients in float64 (NHWC data, filter [kh, kw, in, out], groups),
 * the reference the fast formulations are checked against.
 */
export interface RefGeometry {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  kh: number;
  kw: number;
  stride: [number, number];
  dilation: [number, number];
  /** zeros before the first row / column. */
  pad: [number, number];
  outH: number;
  outW: number;
  groups: number;
}

/** dx and dW of y = conv(x, w) given dy, by visiting every (output, tap) pair. */
export function referenceConvGrads(x: ArrayLike<number>, w: ArrayLike<number>, dy: ArrayLike<number>, g: RefGeometry) {
  const dx = new Float64Array(g.n * g.h * g.w * g.cin);
  const cinG = g.cin / g.groups;
  const coutG = g.cout / g.groups;
  const dw = new Float64Array(g.kh * g.kw * cinG * g.cout);
  for (let b = 0; b < g.n; b++)
    for (let oy = 0; oy < g.outH; oy++)
      for (let ox = 0; ox < g.outW; ox++)
        for (let ty = 0; ty < g.kh; ty++)
          for (let tx = 0; tx < g.kw; tx++) {
            const iy = oy * g.stride[0] + ty * g.dilation[0] - g.pad[0];
            const ix = ox * g.stride[1] + tx * g.dilation[1] - g.pad[1];
            if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
            for (let co = 0; co < g.cout; co++) {
              const grad = dy[((b * g.outH + oy) * g.outW + ox) * g.cout + co];
              const group = Math.floor(co / coutG);
              for (let k = 0; k < cinG; k++) {
                const ci = group * cinG + k;
                const wi = ((ty * g.kw + tx) * cinG + k) * g.cout + co;
                const xi = ((b * g.h + iy) * g.w + ix) * g.cin + ci;
                dx[xi] += grad * w[wi];
                dw[wi] += grad * x[xi];
              }
            }
          }
  return { dx, dw };
}

export function outSize(size: number, k: number, s: number, d: number, p: number, padAfter = p): number {
  return Math.floor((size + p + padAfter - d * (k - 1) - 1) / s) + 1;
}

/** y = conv(x, w) by direct loops (same geometry and layouts as referenceConvGrads). */
export function referenceConvForward(x: ArrayLike<number>, w: ArrayLike<number>, g: RefGeometry): Float64Array {
  const y = new Float64Array(g.n * g.outH * g.outW * g.cout);
  const cinG = g.cin / g.groups;
  const coutG = g.cout / g.groups;
  for (let b = 0; b < g.n; b++)
    for (let oy = 0; oy < g.outH; oy++)
      for (let ox = 0; ox < g.outW; ox++)
        for (let co = 0; co < g.cout; co++) {
          let acc = 0;
          const group = Math.floor(co / coutG);
          for (let ty = 0; ty < g.kh; ty++)
            for (let tx = 0; tx < g.kw; tx++) {
              const iy = oy * g.stride[0] + ty * g.dilation[0] - g.pad[0];
              const ix = ox * g.stride[1] + tx * g.dilation[1] - g.pad[1];
              if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
              for (let k = 0; k < cinG; k++) acc += x[((b * g.h + iy) * g.w + ix) * g.cin + group * cinG + k] * w[((ty * g.kw + tx) * cinG + k) * g.cout + co];
            }
          y[((b * g.outH + oy) * g.outW + ox) * g.cout + co] = acc;
        }
  return y;
}
