/**
 * Kernels written in plain JS over host arrays, for any tfjs backend: inputs are read with
 * the backend's readSync, the result written with its write. Meant for cheap kernels (the
 * data crosses the JS/backend boundary once each way), and for bridging a kernel a backend
 * lacks to the cpu backend's implementation.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelArgs, KernelResult } from './kernel-registry';

export interface HostArray {
  values: tf.TypedArray;
  shape: number[];
  dtype: tf.DataType;
}

export function readHost(backend: tf.KernelBackend, t: tf.TensorInfo): HostArray {
  return { values: backend.readSync(t.dataId) as tf.TypedArray, shape: [...t.shape], dtype: t.dtype };
}

export function writeHost(backend: tf.KernelBackend, a: HostArray): tf.TensorInfo {
  return { dataId: backend.write(a.values, a.shape, a.dtype), shape: a.shape, dtype: a.dtype };
}

export type HostKernelFunc = (inputs: Record<string, HostArray>, attrs: tf.NamedAttrMap, backend: tf.KernelBackend) => HostArray;

/** A kernel that reads its inputs to host arrays, runs `f` there and writes the result back. */
export function hostKernel(f: HostKernelFunc): tf.KernelFunc {
  return (args: KernelArgs): KernelResult => {
    const backend = args.backend as tf.KernelBackend;
    const inputs: Record<string, HostArray> = {};
    for (const [name, t] of Object.entries(args.inputs)) if (t) inputs[name] = readHost(backend, t);
    return writeHost(backend, f(inputs, args.attrs ?? {}, backend));
  };
}

/**
 * Run `kernelName` as registered for `backendName` on host arrays: write them to `backend`,
 * run the kernel, read its outputs back and free everything it allocated there.
 */
export function runKernelOn(
  backendName: string,
  backend: tf.KernelBackend,
  kernelName: string,
  inputs: Record<string, HostArray>,
  attrs: tf.NamedAttrMap,
): HostArray[] {
  const kernel = tf.getKernel(kernelName, backendName);
  if (!kernel) throw new Error(`kernel '${kernelName}' is not registered for backend '${backendName}'`);
  const written: tf.TensorInfo[] = [];
  try {
    const infos: Record<string, tf.TensorInfo> = {};
    for (const [name, a] of Object.entries(inputs)) {
      infos[name] = writeHost(backend, a);
      written.push(infos[name]);
    }
    const out = kernel.kernelFunc({ inputs: infos, backend, attrs });
    const outs = Array.isArray(out) ? out : [out];
    return outs.map((o) => {
      const host = readHost(backend, o);
      backend.disposeData(o.dataId);
      return host;
    });
  } finally {
    for (const t of written) backend.disposeData(t.dataId);
  }
}

/** The cpu backend instance, initialised on first use, without its "use tfjs-node" banner. */
export function cpuBackend(): tf.KernelBackend {
  const cpu = tf.findBackend('cpu') as (tf.KernelBackend & { firstUse?: boolean }) | null;
  if (!cpu) throw new Error("the tfjs 'cpu' backend is not registered (import '@tensorflow/tfjs-backend-cpu')");
  // the banner is printed on the backend's first write; hrdet reports its backend itself
  if (cpu.firstUse) cpu.firstUse = false;
  return cpu;
}

/**
 * A kernel for any backend that runs the cpu backend's implementation on a copy of the data.
 * For kernels that are rarely used and cheap next to the copies (e.g. UnsortedSegmentSum).
 */
export function cpuBridge(kernelName: string): tf.KernelFunc {
  return (args: KernelArgs): KernelResult => {
    const backend = args.backend as tf.KernelBackend;
    const inputs: Record<string, HostArray> = {};
    for (const [name, t] of Object.entries(args.inputs)) if (t) inputs[name] = readHost(backend, t);
    const outs = runKernelOn('cpu', cpuBackend(), kernelName, inputs, args.attrs ?? {}).map((o) => writeHost(backend, o));
    return outs.length === 1 ? outs[0] : outs;
  };
}
