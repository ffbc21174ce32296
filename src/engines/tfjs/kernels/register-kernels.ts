/**
 * hrdet's additions to the tfjs backends, registered once per process. The backend packages
 * are imported first so that their own kernels are in place to be replaced (a package
 * imported later would register its kernels over these).
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { convBackpropKernel, CONV_BACKPROP_KERNELS } from './conv-backprop';
import { cpuBridge } from './host-kernel';
import { installKernel } from './kernel-registry';
import { resizeBilinearGrad, resizeNearestNeighborGrad } from './resize-grad';
import { wasmReverse, wasmSlice, wasmSplitV, wasmStridedSlice } from './wasm-slice';

let registered = false;

export function registerKernels(): void {
  if (registered) return;
  registered = true;
  // wasm: missing gradient kernels, slow ones, and data movement that copies its whole input
  // or runs element by element
  installKernel(tf.Slice, 'wasm', wasmSlice);
  installKernel(tf.SplitV, 'wasm', wasmSplitV);
  installKernel(tf.StridedSlice, 'wasm', wasmStridedSlice);
  installKernel(tf.Reverse, 'wasm', wasmReverse);
  for (const [name] of CONV_BACKPROP_KERNELS) installKernel(name, 'wasm', convBackpropKernel(name, 'wasm'));
  installKernel(tf.UnsortedSegmentSum, 'wasm', cpuBridge(tf.UnsortedSegmentSum));
  // cpu: its Conv2DBackpropFilter runs ~100x below its forward conv
  installKernel(tf.Conv2DBackpropFilter, 'cpu', convBackpropKernel(tf.Conv2DBackpropFilter, 'cpu'));
  // both: tfjs's resize gradients disagree with their forward kernels (see resize-grad)
  for (const backend of ['wasm', 'cpu']) {
    installKernel(tf.ResizeBilinearGrad, backend, resizeBilinearGrad);
    installKernel(tf.ResizeNearestNeighborGrad, backend, resizeNearestNeighborGrad(backend));
  }
}
