/**
 * onnxruntime-node's native session, called synchronously. tfjs kernels must return their
 * result before they return, and onnxruntime-node's public `InferenceSession.run` is a Promise
 * around a synchronous native `run` (its backend defers that call with setImmediate). hrdet
 * calls the native session directly; that is private API, so the version is pinned and
 * `checkSyncBinding` fails loudly (and a test with it) when an upgrade changes the route.
 */
import * as path from 'node:path';

/** The onnxruntime-node release whose private binding these kernels were written against. */
export const PINNED_ORT_VERSION = '1.23.2';

export type OrtElement = 'float32' | 'int64';

/** What the native binding takes as a tensor: onnxruntime-common's Tensor, or anything shaped like it. */
export interface OrtTensorLike {
  readonly type: OrtElement;
  readonly data: Float32Array | BigInt64Array;
  readonly dims: readonly number[];
}

export interface NativeSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: Record<string, OrtTensorLike>, fetches: Record<string, OrtTensorLike | null>, options: object): Record<string, OrtTensorLike>;
  dispose(): void;
}

interface Binding {
  binding: { InferenceSession: new () => NativeSession };
  initOrt(): void;
}

type TensorCtor = new (type: OrtElement, data: Float32Array | BigInt64Array, dims: readonly number[]) => OrtTensorLike;

interface Loaded {
  binding: Binding['binding'];
  Tensor: TensorCtor;
}

let loaded: Loaded | null = null;
let failure: string | null = null;

function ortPackageDir(): string {
  return path.dirname(require.resolve('onnxruntime-node/package.json'));
}

/** The installed onnxruntime-node version. */
export function installedOrtVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(path.join(ortPackageDir(), 'package.json')) as { version: string }).version;
}

/** Why the synchronous route is unusable, or null when it works; checks once per process. */
export function checkSyncBinding(): string | null {
  if (loaded || failure) return failure;
  try {
    const version = installedOrtVersion();
    if (version !== PINNED_ORT_VERSION) {
      throw new Error(`onnxruntime-node ${version} is installed; its native binding is verified for ${PINNED_ORT_VERSION} only`);
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const b = require(path.join(ortPackageDir(), 'dist', 'binding.js')) as Partial<Binding>;
    if (typeof b.initOrt !== 'function' || typeof b.binding?.InferenceSession !== 'function') {
      throw new Error('onnxruntime-node/dist/binding no longer exports initOrt and binding.InferenceSession');
    }
    for (const m of ['loadModel', 'run', 'dispose']) {
      if (typeof (b.binding.InferenceSession.prototype as unknown as Record<string, unknown>)[m] !== 'function') {
        throw new Error(`onnxruntime-node's native InferenceSession has no '${m}' method`);
      }
    }
    b.initOrt();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Tensor = (require('onnxruntime-node') as { Tensor: unknown }).Tensor as TensorCtor;
    loaded = { binding: b.binding, Tensor };
  } catch (e) {
    failure = (e as Error).message;
  }
  return failure;
}

function binding(): Loaded {
  const why = checkSyncBinding();
  if (why) throw new Error(`onnxruntime kernels are unavailable: ${why}`);
  return loaded!;
}

export function ortTensor(type: OrtElement, data: Float32Array | BigInt64Array, dims: readonly number[]): OrtTensorLike {
  return new (binding().Tensor)(type, data, dims);
}

/** A loaded model whose `run` returns its outputs, not a Promise of them. */
export class SyncSession {
  private readonly native: NativeSession;
  private disposed = false;

  constructor(model: Uint8Array, options: object) {
    this.native = new (binding().binding.InferenceSession)();
    this.native.loadModel(model.buffer, model.byteOffset, model.byteLength, options);
  }

  /**
   * Run the model. A fetch given as a tensor is written in place (its data must not live in a
   * SharedArrayBuffer: the binding refuses those); a null fetch comes back newly allocated.
   */
  run(feeds: Record<string, OrtTensorLike>, fetches: Record<string, OrtTensorLike | null>): Record<string, OrtTensorLike> {
    if (this.disposed) throw new Error('onnxruntime kernel session used after it was released');
    const out = this.native.run(feeds, fetches, {});
    if (typeof (out as { then?: unknown }).then === 'function') {
      throw new Error(`onnxruntime-node's native run returned a Promise: the synchronous route of ${PINNED_ORT_VERSION} changed`);
    }
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.native.dispose();
  }
}
