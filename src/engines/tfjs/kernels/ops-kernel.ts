/**
 * Kernels composed of tf ops. The engine records a kernel as one node and does not tape
 * the ops it runs inside, so a gradient kernel can be written with the same forward ops
 * the rest of the engine uses (conv-grad's formulations) and run on whatever backend is active.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelArgs, KernelResult } from './kernel-registry';

export type OpsKernelFunc = (inputs: Record<string, tf.Tensor>, attrs: tf.NamedAttrMap) => tf.Tensor;

export function opsKernel(f: OpsKernelFunc): tf.KernelFunc {
  return (args: KernelArgs): KernelResult => {
    const backend = args.backend as tf.KernelBackend;
    const borrowed: tf.Tensor[] = [];
    const inputs: Record<string, tf.Tensor> = {};
    for (const [name, info] of Object.entries(args.inputs)) {
      if (!info) continue;
      if (info instanceof tf.Tensor) {
        inputs[name] = info;
      } else {
        // a bare TensorInfo (a kernel called by another kernel): wrap it without taking ownership
        backend.incRef(info.dataId);
        const t = tf.engine().makeTensorFromTensorInfo(info);
        borrowed.push(t);
        inputs[name] = t;
      }
    }
    try {
      const out = tf.tidy(() => f(inputs, args.attrs ?? {}));
      // the engine wraps the returned data in a new tensor: hand our reference over to it
      backend.incRef(out.dataId);
      if (!Object.values(inputs).includes(out)) out.dispose();
      return { dataId: out.dataId, shape: [...out.shape], dtype: out.dtype };
    } finally {
      borrowed.forEach((t) => t.dispose());
    }
  };
}
