/**
 * Geometry of a 2-D convolution, one record per spatial axis, in the terms the gradient
 * formulations need: out[o] = sum_t in[o * stride + t * dilation - padBefore] * w[t].
 */
import { backend_util } from '@tensorflow/tfjs-core';

export interface ConvAxis {
  inSize: number;
  outSize: number;
  kernel: number;
  stride: number;
  dilation: number;
  /** zeros added before the first input element (the bottom/right padding follows from outSize). */
  padBefore: number;
}

export interface ConvGeometry {
  h: ConvAxis;
  w: ConvAxis;
}

/** Output length of one axis with symmetric explicit padding (PyTorch's rule). */
export function convOutSize(inSize: number, kernel: number, stride: number, dilation: number, pad: number): number {
  return Math.floor((inSize + 2 * pad - dilation * (kernel - 1) - 1) / stride) + 1;
}

/** Geometry with PyTorch-style symmetric padding. */
export function symmetricGeometry(
  inH: number,
  inW: number,
  kernel: readonly [number, number],
  stride: readonly [number, number],
  dilation: readonly [number, number],
  padding: readonly [number, number],
): ConvGeometry {
  const axis = (i: 0 | 1, size: number): ConvAxis => ({
    inSize: size,
    outSize: convOutSize(size, kernel[i], stride[i], dilation[i], padding[i]),
    kernel: kernel[i],
    stride: stride[i],
    dilation: dilation[i],
    padBefore: padding[i],
  });
  return { h: axis(0, inH), w: axis(1, inW) };
}

/** Geometry of a tfjs kernel's Conv2DInfo (any of its padding modes, NHWC). */
export function geometryFromConvInfo(info: backend_util.Conv2DInfo): ConvGeometry {
  return {
    h: {
      inSize: info.inHeight,
      outSize: info.outHeight,
      kernel: info.filterHeight,
      stride: info.strideHeight,
      dilation: info.dilationHeight,
      padBefore: info.padInfo.top,
    },
    w: {
      inSize: info.inWidth,
      outSize: info.outWidth,
      kernel: info.filterWidth,
      stride: info.strideWidth,
      dilation: info.dilationWidth,
      padBefore: info.padInfo.left,
    },
  };
}

/**
 * Taps of one axis that reach the input positions congruent to `phase` modulo the stride
 * (t * dilation ≡ phase): the transposed convolution splits into one dense convolution per
 * phase, so it never multiplies the zeros a stride-dilated dy would hold.
 */
export interface AxisPhase {
  phase: number;
  /** first tap, tap step, number of taps (an arithmetic progression). */
  first: number;
  step: number;
  count: number;
  /** (t * dilation - phase) / stride of the first tap; consecutive taps add `shift`. */
  offset: number;
  shift: number;
}

export function axisPhases(a: ConvAxis): AxisPhase[] {
  const out: AxisPhase[] = [];
  for (let r = 0; r < a.stride; r++) {
    const taps: number[] = [];
    for (let t = 0; t < a.kernel; t++) if ((t * a.dilation) % a.stride === r) taps.push(t);
    if (taps.length === 0) continue;
    const step = taps.length > 1 ? taps[1] - taps[0] : 1;
    out.push({
      phase: r,
      first: taps[0],
      step,
      count: taps.length,
      offset: (taps[0] * a.dilation - r) / a.stride,
      shift: (step * a.dilation) / a.stride,
    });
  }
  return out;
}
