import * as tf from '@tensorflow/tfjs-core';
import { withEngine } from '../../../src/core/engine-context';
import { hostTensor, type HostTensor } from '../../../src/core/host-tensor';
import type { Tensor } from '../../../src/core/tensor';
import { activeBackend, initBackend } from '../../../src/engines/tfjs/backend';
import { TfjsEngine } from '../../../src/engines/tfjs/tfjs-engine';

/** The tfjs backends every op-semantics test runs on (wasm last: it stays active afterwards). */
export const TEST_BACKENDS = ['cpu', 'wasm'] as const;

/** Builds inputs, runs op-layer code on the tfjs engine and reads results back in NCHW order. */
export class Harness {
  readonly engine = new TfjsEngine();

  run<T>(fn: () => T): T {
    return withEngine(this.engine, fn);
  }

  f32(shape: readonly number[], values: ArrayLike<number>): Tensor {
    return this.engine.constant(hostTensor('float32', shape, Float32Array.from(values)));
  }

  i32(shape: readonly number[], values: ArrayLike<number>): Tensor {
    return this.engine.constant(hostTensor('int32', shape, Int32Array.from(values)));
  }

  bool(shape: readonly number[], values: ArrayLike<number | boolean>): Tensor {
    return this.engine.constant(hostTensor('bool', shape, Uint8Array.from(values, (v) => (v ? 1 : 0))));
  }

  read(t: Tensor): HostTensor {
    return this.engine.readSync(t);
  }

  /** The physical tfjs shape (NHWC for rank 4): for the few tests that check the storage rule. */
  physicalShape(t: Tensor): number[] {
    return [...(t as unknown as { t: tf.Tensor }).t.shape];
  }
}

/**
 * One `describe` per backend. Every test runs inside a tfjs scope, so tensors it leaves
 * behind are freed; the previously active backend is restored afterwards.
 */
export function describeOnBackends(title: string, body: (h: Harness) => void): void {
  for (const backend of TEST_BACKENDS) {
    describe(`${title} [tfjs ${backend}]`, function () {
      const h = new Harness();
      let previous: string | undefined;
      before(async function () {
        previous = activeBackend()?.name;
        await initBackend(backend);
      });
      after(async function () {
        if (previous && previous !== backend) await initBackend(previous);
      });
      beforeEach(() => tf.engine().startScope());
      afterEach(() => tf.engine().endScope());
      body(h);
    });
  }
}
