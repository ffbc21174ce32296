/**
 * Gradients for the kernels the tfjs engine runs. Registered only where a kernel has none:
 * with the @tensorflow/tfjs bundle loaded (tfjs-node does) its own gradients stay in place.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ELEMENTWISE_GRADS } from './elementwise-grads';
import type { GradDef } from './grad-util';
import { LAYOUT_GRADS } from './layout-grads';
import { NN_GRADS } from './nn-grads';
import { REDUCTION_GRADS } from './reduction-grads';

export const GRADIENTS: readonly GradDef[] = [...ELEMENTWISE_GRADS, ...REDUCTION_GRADS, ...LAYOUT_GRADS, ...NN_GRADS];

/** Register every gradient whose kernel has none yet; returns the kernel names registered. */
export function registerGradients(): string[] {
  const added: string[] = [];
  for (const config of GRADIENTS) {
    if (tf.getGradient(config.kernelName)) continue;
    tf.registerGradient(config);
    added.push(config.kernelName);
  }
  return added;
}
