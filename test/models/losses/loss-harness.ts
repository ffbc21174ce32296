/** Value and gradient of op-layer loss code on the tfjs engine, for the loss tests. */
import * as tf from '@tensorflow/tfjs-core';
import { withEngine } from '../../../src/core/engine-context';
import { hostTensor, type HostTensor } from '../../../src/core/host-tensor';
import type { Tensor } from '../../../src/core/tensor';
import { TfjsEngine, TfTensor, unwrap } from '../../../src/engines/tfjs/tfjs-engine';

export interface Encoded {
  shape: number[];
  dtype: 'float32' | 'int32';
  data: number[];
}

export const decode = (e: Encoded): HostTensor =>
  e.dtype === 'int32' ? hostTensor('int32', e.shape, Int32Array.from(e.data)) : hostTensor('float32', e.shape, Float32Array.from(e.data));

/** f(pred) and d sum(f(pred)) / d pred, read back to the host. */
export function valueAndGrad(engine: TfjsEngine, pred: HostTensor, f: (pred: Tensor) => Tensor): { value: HostTensor; grad: HostTensor } {
  let value!: HostTensor;
  let grad!: HostTensor;
  tf.tidy(() => {
    const x = unwrap(engine.constant(pred));
    const { value: v, grads } = tf.valueAndGrads((p: tf.Tensor) => {
      const y = withEngine(engine, () => f(new TfTensor(p)));
      value = engine.readSync(y);
      return tf.sum(unwrap(y)) as tf.Scalar;
    })([x]);
    void v;
    grad = engine.readSync(new TfTensor(grads[0]));
  });
  return { value, grad };
}
