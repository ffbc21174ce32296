import { allocate, hostTensor, numel, type DType, type HostData, type HostTensor } from './host-tensor';

/**
 * A named, host-backed value owned by a module: a trainable parameter or a buffer
 * (BN running statistics). Host memory is the source of truth for checkpoints; engines
 * cache their own copy and refresh it when `version` changes.
 */
export class Parameter {
  private _data: HostData;
  /** Bumped on every host-side write so engine caches know to refresh. */
  version = 0;

  constructor(
    readonly shape: readonly number[],
    readonly dtype: DType = 'float32',
    readonly requiresGrad = true,
    data?: HostData,
  ) {
    this._data = data ?? allocate(dtype, numel(shape));
  }

  get numel(): number {
    return numel(this.shape);
  }

  get data(): HostData {
    return this._data;
  }

  /** Replace the value (shape must match; checked by the caller that knows the key name). */
  set(data: HostData): void {
    if (data.length !== this._data.length) {
      throw new Error(`parameter of shape [${this.shape.join(',')}] cannot take ${data.length} values`);
    }
    this._data = data;
    this.version++;
  }

  /** Write values in place (initialisers); bumps the version. */
  fill(fn: (i: number) => number): void {
    const d = this._data;
    if (d instanceof BigInt64Array) {
      for (let i = 0; i < d.length; i++) d[i] = BigInt(Math.round(fn(i)));
    } else {
      for (let i = 0; i < d.length; i++) d[i] = fn(i);
    }
    this.version++;
  }

  toHost(): HostTensor {
    return hostTensor(this.dtype, this.shape, this._data);
  }
}

/** A non-trainable state tensor (running_mean, running_var, num_batches_tracked, ...). */
export class Buffer extends Parameter {
  constructor(shape: readonly number[], dtype: DType = 'float32', data?: HostData) {
    super(shape, dtype, false, data);
  }
}
