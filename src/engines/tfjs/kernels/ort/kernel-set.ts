/**
 * The kernel set tfjs's heavy kernels run with: 'ort' (onnxruntime's CPU kernels, through
 * synchronous single-op sessions) or 'wasm' (the backend's own, plus hrdet's replacements).
 * Chosen once at start (--kernels, HRDET_KERNELS), 'ort' by default: it is the faster one
 * (bench/conv-bench, bench/model-bench). The ort kernels sit on top of the wasm and cpu
 * backends' kernels and hand them every call they do not take: calls too small to win (the
 * size rule below), and cases they do not cover.
 */
import * as tf from '@tensorflow/tfjs-core';
import { layerKernel, type Kernel, type KernelArgs, type KernelResult } from '../kernel-registry';
import { checkSyncBinding } from './ort-binding';
import { ortConvBackpropFilter, ortConvBackpropInput } from './ort-conv-backprop';
import { ortConvForward } from './ort-conv';
import { ortMatMul } from './ort-matmul';

export type KernelSetName = 'ort' | 'wasm';
export const KERNEL_SETS: readonly KernelSetName[] = ['ort', 'wasm'];

export interface KernelSetReport {
  name: KernelSetName;
  /** Why 'ort' was not used when nobody asked for a set. */
  reason?: string;
}

/**
 * Multiply-adds below which a call stays on the kernel below: there onnxruntime's fixed cost
 * per call (about 0.05-0.1 ms: session run, transposes, tensor wrapping) outweighs its faster
 * arithmetic. Measured with `node dist/bench/conv-bench.js --crossover` (bench/results/
 * conv-crossover.json, docs/kernels.md): wasm's forward convolution wins up to about 2M
 * multiply-adds, its backprop kernels lose at every size measured (down to 2K). A matrix
 * product takes the forward rule: wasm's 1x1 convolution, which the crossover measures, is
 * the same XNNPACK GEMM as its matMul. Depthwise convolutions never pay: onnxruntime's ran
 * 1.4-14x slower than single-threaded wasm's at every size measured (2K-35M multiply-adds),
 * so by default they all stay on wasm (the rule is Infinity; HRDET_ORT_MIN_MACS still opens it).
 */
export const DEFAULT_MIN_MACS = { conv: 2 ** 21, convBackprop: 0, depthwise: Infinity, matmul: 2 ** 21 };

/**
 * The rule in force: the measured defaults, or HRDET_ORT_MIN_MACS (one number for both) when
 * set. The test suite sets 0 so that every op and gradient test runs on the ort kernels.
 */
function ruleFromEnv(): typeof DEFAULT_MIN_MACS {
  const env = process.env.HRDET_ORT_MIN_MACS;
  if (env === undefined || env === '') return { ...DEFAULT_MIN_MACS };
  const v = Number(env);
  if (!Number.isFinite(v) || v < 0) throw new Error(`HRDET_ORT_MIN_MACS must be a number >= 0, got '${env}'`);
  return { conv: v, convBackprop: v, depthwise: v, matmul: v };
}

let active: KernelSetName = 'wasm';
let minMacs = ruleFromEnv();

export function activeKernelSet(): KernelSetName {
  return active;
}

/** Switch kernel sets (tests run the op tables with both; the CLI chooses once). */
export function useKernelSet(name: KernelSetName): void {
  if (!KERNEL_SETS.includes(name)) throw new Error(`unknown kernel set '${name}': expected one of ${KERNEL_SETS.join(', ')}`);
  if (name === 'ort') {
    const why = checkSyncBinding();
    if (why) throw new Error(`the 'ort' kernels cannot run: ${why} (choose --kernels wasm)`);
    layerOrtKernels();
  }
  active = name;
}

/** Set the size rule (tests and benchmarks); undefined restores the default or HRDET_ORT_MIN_MACS. */
export function setMinMacs(rule?: Partial<typeof DEFAULT_MIN_MACS>): void {
  minMacs = { ...ruleFromEnv(), ...(rule ?? {}) };
}

export function currentMinMacs(): Readonly<typeof DEFAULT_MIN_MACS> {
  return minMacs;
}

/**
 * The set asked for (argument, else HRDET_KERNELS), else 'ort' when its synchronous route
 * works, else 'wasm' with the reason. A set asked for that cannot run is an error.
 */
export function chooseKernelSet(requested?: string): KernelSetReport {
  const env = process.env.HRDET_KERNELS;
  const want = requested ?? (env !== undefined && env !== '' ? env : undefined);
  if (want !== undefined) {
    useKernelSet(want as KernelSetName);
    return { name: active };
  }
  const why = checkSyncBinding();
  if (why) {
    useKernelSet('wasm');
    return { name: 'wasm', reason: why };
  }
  useKernelSet('ort');
  return { name: 'ort' };
}

type OrtImpl = (args: KernelArgs) => tf.TensorInfo | null;

const ORT_KERNELS: [string, OrtImpl][] = [
  [tf.Conv2D, (a) => ortConvForward(a, false, minMacs.conv)],
  [tf.FusedConv2D, (a) => ortConvForward(a, false, minMacs.conv)],
  [tf.DepthwiseConv2dNative, (a) => ortConvForward(a, true, minMacs.depthwise)],
  [tf.FusedDepthwiseConv2D, (a) => ortConvForward(a, true, minMacs.depthwise)],
  [tf.Conv2DBackpropInput, (a) => ortConvBackpropInput(a, minMacs.convBackprop)],
  [tf.Conv2DBackpropFilter, (a) => ortConvBackpropFilter(a, minMacs.convBackprop)],
  [tf.BatchMatMul, (a) => ortMatMul(a, minMacs.matmul)],
  [tf._FusedMatMul, (a) => ortMatMul(a, minMacs.matmul)],
];

/** Calls that went to onnxruntime, per kernel, and those handed below (tests and benchmarks read them). */
export const ortCalls = { ort: new Map<string, number>(), below: new Map<string, number>() };
const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

function dispatch(kernelName: string, impl: OrtImpl, below: Kernel | undefined): Kernel {
  return (args: KernelArgs): KernelResult => {
    if (active === 'ort') {
      const out = impl(args);
      if (out) {
        count(ortCalls.ort, kernelName);
        return out;
      }
      count(ortCalls.below, kernelName);
    }
    if (!below) throw new Error(`kernel '${kernelName}' has no implementation below the onnxruntime one for this call`);
    return below(args);
  };
}

let layered = false;

function layerOrtKernels(): void {
  if (layered) return;
  layered = true;
  for (const backend of ['wasm', 'cpu']) {
    for (const [name, impl] of ORT_KERNELS) layerKernel(name, backend, (below) => dispatch(name, impl, below));
  }
}
