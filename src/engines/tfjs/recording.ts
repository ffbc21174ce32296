import * as tf from '@tensorflow/tfjs-core';

/**
 * Whether tfjs is recording a gradient tape (inside tf.grad / variableGrads / customGrad
 * backward setup). Read from the engine's state, which tfjs does not expose publicly; fast
 * paths that would cut the tape (cached derived weights, no custom-gradient wrapper) use it.
 */
export function recordingGradients(): boolean {
  const state = (tf.engine() as unknown as { state?: { gradientDepth?: number } }).state;
  return (state?.gradientDepth ?? 1) > 0;
}
