/**
 * Gradients for the kernels the tfjs engine runs. They take precedence over the ones the
 * @tensorflow/tfjs bundle registers when something loads it (tfjs-node does, and so does a
 * failed attempt to load it): those refuse dilated convolutions and break on broadcast
 * batched matMul. Installing again after such a load puts hrdet's back.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ELEMENTWISE_GRADS } from './elementwise-grads';
import type { GradDef } from './grad-util';
import { LAYOUT_GRADS } from './layout-grads';
import { NN_GRADS } from './nn-grads';
import { REDUCTION_GRADS } from './reduction-grads';

export const GRADIENTS: readonly GradDef[] = [...ELEMENTWISE_GRADS, ...REDUCTION_GRADS, ...LAYOUT_GRADS, ...NN_GRADS];

/** Make hrdet's gradients the registered ones; returns the kernel names (re)registered. */
export function registerGradients(): string[] {
  const added: string[] = [];
  for (const config of GRADIENTS) {
    if (tf.getGradient(config.kernelName) === config) continue;
    tf.registerGradient(config);
    added.push(config.kernelName);
  }
  return added;
}
