import type { HostTensor, DType } from './host-tensor';
import type { Tensor } from './tensor';
import type { Parameter } from './parameter';

/** Pair of (height, width) values. */
export type Pair = readonly [number, number];

export interface Conv2dOptions {
  stride: Pair;
  padding: Pair;
  dilation: Pair;
  groups: number;
}

/** torch.nn.functional.conv_transpose2d: `padding` crops, `outputPadding` extends bottom/right. */
export interface ConvTranspose2dOptions extends Conv2dOptions {
  outputPadding: Pair;
}

export interface Pool2dOptions {
  kernel: Pair;
  stride: Pair;
  padding: Pair;
  ceilMode: boolean;
  /** avg pool only: divide by the full window including padding (PyTorch's default). */
  countIncludePad: boolean;
}

export type ResizeMode = 'nearest' | 'bilinear';

export interface ResizeOptions {
  size: Pair;
  mode: ResizeMode;
  /** bilinear only; PyTorch `align_corners`. Nearest follows PyTorch: src = floor(dst * in / out). */
  alignCorners: boolean;
  /**
   * Set when `size` was computed as floor(in * scaleFactor) (F.interpolate's scale_factor form).
   * Eager engines ignore it; the ONNX tracer keeps the scale so dynamic-size exports stay exact.
   */
  scaleFactor?: number;
}

export interface RoiAlignOptions {
  outputSize: Pair;
  spatialScale: number;
  /** 0 = adaptive: ceil(roi_size / output_size) samples per bin, as mmcv. */
  samplingRatio: number;
  /** mmcv `aligned`: shift RoI corners by -0.5 pixel and drop the 1-pixel minimum size. */
  aligned: boolean;
  mode: 'avg' | 'max';
}

export interface NmsOptions {
  iouThreshold: number;
  /** keep at most this many boxes (-1 = all). */
  maxOutput: number;
  /** boxes scoring at or below this are dropped first. */
  scoreThreshold: number;
}

export type UnaryOp = 'relu' | 'sigmoid' | 'exp' | 'log' | 'sqrt' | 'neg' | 'abs' | 'floor' | 'ceil' | 'tanh' | 'softplus';
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum' | 'pow';
export type CompareOp = 'greater' | 'greaterEqual' | 'less' | 'lessEqual' | 'equal';
export type ReduceOp = 'sum' | 'mean' | 'max' | 'min';

/**
 * The op layer's contract: the only place that knows about an execution engine.
 * Every shape and axis is in logical NCHW terms; an engine may store tensors differently
 * inside but must behave as if it did not. Broadcasting follows NumPy rules.
 *
 * Implementations: the tfjs eager engine (`engines/tfjs`) and the ONNX tracer (`engines/onnx`).
 */
export interface Engine {
  readonly name: string;
  /** True when ops run on data (eager); false for symbolic tracing. */
  readonly eager: boolean;

  /**
   * Run `fn` as a memory scope: intermediate tensors it creates are released when it returns,
   * except those in its result (anywhere inside it: see `collectTensors`). Module calls run in
   * a scope, so an eager forward holds about as much memory as PyTorch's would.
   */
  scope<T>(fn: () => T): T;

  // --- data in and out -------------------------------------------------------------------
  /** The engine-side value of a module parameter or buffer (cached; follows `Parameter.version`). */
  parameter(p: Parameter): Tensor;
  constant(t: HostTensor): Tensor;
  scalar(value: number, dtype?: DType): Tensor;
  /** Copy to host (eager engines only). */
  read(t: Tensor): Promise<HostTensor>;
  readSync(t: Tensor): HostTensor;
  /** Write a new value into a parameter/buffer (training-time updates such as BN running stats). */
  assign(p: Parameter, value: Tensor): void;

  // --- dense layers ------------------------------------------------------------------------
  conv2d(x: Tensor, weight: Tensor, bias: Tensor | null, opts: Conv2dOptions): Tensor;
  /**
   * Transposed convolution (the input gradient of conv2d); weight [in, out/groups, kh, kw].
   * Output size (in - 1) * stride - 2 * padding + dilation * (k - 1) + outputPadding + 1.
   */
  convTranspose2d(x: Tensor, weight: Tensor, bias: Tensor | null, opts: ConvTranspose2dOptions): Tensor;
  /** y = x W^T + b over the last axis; weight [out, in]. */
  linear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor;
  matmul(a: Tensor, b: Tensor): Tensor;
  /** Eval-mode batch norm with running statistics (axis 1). */
  batchNorm(x: Tensor, mean: Tensor, variance: Tensor, weight: Tensor | null, bias: Tensor | null, eps: number): Tensor;
  /** Per-channel mean and biased variance over N, H, W (training-mode batch norm). */
  moments(x: Tensor, axes: readonly number[]): { mean: Tensor; variance: Tensor };
  groupNorm(x: Tensor, groups: number, weight: Tensor | null, bias: Tensor | null, eps: number): Tensor;

  // --- elementwise -------------------------------------------------------------------------
  unary(op: UnaryOp, x: Tensor): Tensor;
  binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor;
  compare(op: CompareOp, a: Tensor, b: Tensor): Tensor;
  where(cond: Tensor, a: Tensor, b: Tensor): Tensor;
  clip(x: Tensor, min: number, max: number): Tensor;
  cast(x: Tensor, dtype: DType): Tensor;
  softmax(x: Tensor, axis: number): Tensor;
  /** log(softmax(x)) computed stably (x - max - log sum exp), as F.log_softmax. */
  logSoftmax(x: Tensor, axis: number): Tensor;
  reduce(op: ReduceOp, x: Tensor, axes: readonly number[], keepDims: boolean): Tensor;
  argmax(x: Tensor, axis: number): Tensor;

  // --- layout ------------------------------------------------------------------------------
  reshape(x: Tensor, shape: readonly number[]): Tensor;
  transpose(x: Tensor, perm: readonly number[]): Tensor;
  concat(xs: readonly Tensor[], axis: number): Tensor;
  slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor;
  /** Repeat along axes (`tile`). */
  tile(x: Tensor, reps: readonly number[]): Tensor;

  // --- spatial -----------------------------------------------------------------------------
  resize(x: Tensor, opts: ResizeOptions): Tensor;
  maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor;
  avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor;
  /** Mean over H and W, keeping them as size 1. */
  globalAvgPool(x: Tensor): Tensor;

  // --- detection ---------------------------------------------------------------------------
  /** Largest k along the last axis, descending; ties keep the lower index first. */
  topk(x: Tensor, k: number): { values: Tensor; indices: Tensor };
  /** Select `indices` (int32) along `axis`. */
  gather(x: Tensor, indices: Tensor, axis: number): Tensor;
  /** boxes [N,4] x1y1x2y2, scores [N] → kept indices [K] (int32) in descending score order. */
  nms(boxes: Tensor, scores: Tensor, opts: NmsOptions): Tensor;
  /** features [N,C,H,W], rois [K,5] (batch index, x1, y1, x2, y2) → [K,C,oh,ow]. */
  roiAlign(features: Tensor, rois: Tensor, opts: RoiAlignOptions): Tensor;
}
