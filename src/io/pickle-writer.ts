import type { DType, HostTensor } from '../core/host-tensor';

/**
 * A pickle (protocol 2) writer for checkpoints that `torch.load(path, weights_only=True)`
 * accepts: it emits only data opcodes and the globals PyTorch's weights-only unpickler allows
 * (collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch.<Type>Storage). No memo is
 * used, so every value is written where it occurs.
 */
export type PickleValue = null | boolean | number | bigint | string | PickleValue[] | PickleTuple | PickleDict | PickleFloat | PickleTensor;

export class PickleTuple {
  constructor(readonly items: readonly PickleValue[]) {}
}

/** dict, or collections.OrderedDict when `ordered`. Keys: str, int, or None. */
export class PickleDict {
  constructor(
    readonly entries: ReadonlyArray<readonly [string | number | null, PickleValue]>,
    readonly ordered = false,
  ) {}
}

/** A Python float even when its value is integral (lr = 1.0). Other numbers: int if integral. */
export class PickleFloat {
  constructor(readonly value: number) {}
}

/** A tensor whose bytes are the storage `key` (torch.save's `archive/data/<key>`). */
export class PickleTensor {
  constructor(
    readonly key: string,
    readonly tensor: HostTensor,
  ) {}
}

/** The torch storage class of each host dtype. */
export const STORAGE_OF: Record<DType, string> = {
  float32: 'FloatStorage', int32: 'IntStorage', int64: 'LongStorage', uint8: 'ByteStorage', bool: 'BoolStorage',
};

const OP = {
  PROTO: 0x80, STOP: 0x2e, NONE: 0x4e, TRUE: 0x88, FALSE: 0x89, BININT1: 0x4b, BININT2: 0x4d, BININT: 0x4a, LONG1: 0x8a,
  BINFLOAT: 0x47, BINUNICODE: 0x58, EMPTY_TUPLE: 0x29, TUPLE1: 0x85, TUPLE2: 0x86, TUPLE3: 0x87, MARK: 0x28, TUPLE: 0x74,
  EMPTY_LIST: 0x5d, APPENDS: 0x65, EMPTY_DICT: 0x7d, SETITEMS: 0x75, GLOBAL: 0x63, REDUCE: 0x52, BINPERSID: 0x51,
} as const;

/** Items per APPENDS / SETITEMS batch, as CPython's pickler. */
const BATCH = 1000;

export function pickle(value: PickleValue): Uint8Array {
  const w = new Writer();
  w.byte(OP.PROTO, 2);
  w.value(value);
  w.byte(OP.STOP);
  return w.bytes();
}

class Writer {
  private chunks: Buffer[] = [];

  bytes(): Uint8Array {
    return Buffer.concat(this.chunks);
  }

  byte(...b: number[]): void {
    this.chunks.push(Buffer.from(b));
  }

  raw(b: Buffer): void {
    this.chunks.push(b);
  }

  value(v: PickleValue): void {
    if (v === null) return this.byte(OP.NONE);
    if (v === true) return this.byte(OP.TRUE);
    if (v === false) return this.byte(OP.FALSE);
    if (typeof v === 'bigint') return this.int(v);
    if (typeof v === 'number') return Number.isSafeInteger(v) ? this.int(BigInt(v)) : this.float(v);
    if (typeof v === 'string') return this.str(v);
    if (v instanceof PickleFloat) return this.float(v.value);
    if (Array.isArray(v)) return this.list(v);
    if (v instanceof PickleTuple) return this.tuple(v.items);
    if (v instanceof PickleDict) return this.dict(v);
    return this.tensor(v);
  }

  private int(v: bigint): void {
    if (v >= 0n && v < 256n) return this.byte(OP.BININT1, Number(v));
    if (v >= 0n && v < 65536n) return this.byte(OP.BININT2, Number(v & 0xffn), Number(v >> 8n));
    if (v >= -(2n ** 31n) && v < 2n ** 31n) {
      const b = Buffer.alloc(5);
      b[0] = OP.BININT;
      b.writeInt32LE(Number(v), 1);
      return this.raw(b);
    }
    // LONG1: little-endian two's complement, as few bytes as hold the sign
    const out: number[] = [];
    let x = v;
    for (;;) {
      out.push(Number(x & 0xffn));
      x >>= 8n;
      const signBit = (out[out.length - 1] & 0x80) !== 0;
      if ((x === 0n && !signBit) || (x === -1n && signBit)) break;
    }
    this.byte(OP.LONG1, out.length, ...out);
  }

  private float(v: number): void {
    const b = Buffer.alloc(9);
    b[0] = OP.BINFLOAT;
    b.writeDoubleBE(v, 1);
    this.raw(b);
  }

  private str(s: string): void {
    const data = Buffer.from(s, 'utf-8');
    const head = Buffer.alloc(5);
    head[0] = OP.BINUNICODE;
    head.writeUInt32LE(data.length, 1);
    this.raw(head);
    this.raw(data);
  }

  private global(module: string, name: string): void {
    this.byte(OP.GLOBAL);
    this.raw(Buffer.from(`${module}\n${name}\n`, 'latin1'));
  }

  private tuple(items: readonly PickleValue[]): void {
    if (items.length === 0) return this.byte(OP.EMPTY_TUPLE);
    if (items.length > 3) this.byte(OP.MARK);
    for (const x of items) this.value(x);
    this.byte(items.length === 1 ? OP.TUPLE1 : items.length === 2 ? OP.TUPLE2 : items.length === 3 ? OP.TUPLE3 : OP.TUPLE);
  }

  private list(items: readonly PickleValue[]): void {
    this.byte(OP.EMPTY_LIST);
    for (let i = 0; i < items.length; i += BATCH) {
      this.byte(OP.MARK);
      for (const x of items.slice(i, i + BATCH)) this.value(x);
      this.byte(OP.APPENDS);
    }
  }

  private dict(d: PickleDict): void {
    if (d.ordered) {
      // OrderedDict.__reduce__: OrderedDict() then its items
      this.global('collections', 'OrderedDict');
      this.byte(OP.EMPTY_TUPLE, OP.REDUCE);
    } else {
      this.byte(OP.EMPTY_DICT);
    }
    for (let i = 0; i < d.entries.length; i += BATCH) {
      this.byte(OP.MARK);
      for (const [k, v] of d.entries.slice(i, i + BATCH)) {
        this.value(k);
        this.value(v);
      }
      this.byte(OP.SETITEMS);
    }
  }

  /** torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks). */
  private tensor(t: PickleTensor): void {
    const { shape, dtype, data } = t.tensor;
    this.global('torch._utils', '_rebuild_tensor_v2');
    this.byte(OP.MARK);
    // persistent id: ('storage', torch.<Type>Storage, key, location, numel)
    this.byte(OP.MARK);
    this.str('storage');
    this.global('torch', STORAGE_OF[dtype]);
    this.str(t.key);
    this.str('cpu');
    this.int(BigInt(data.length));
    this.byte(OP.TUPLE, OP.BINPERSID);
    this.int(0n);
    this.tuple(shape.map((d) => d));
    const stride: number[] = [];
    let s = 1;
    for (let i = shape.length - 1; i >= 0; i--) {
      stride[i] = s;
      s *= shape[i];
    }
    this.tuple(stride);
    this.byte(OP.FALSE);
    this.dict(new PickleDict([], true));
    this.byte(OP.TUPLE, OP.REDUCE);
  }
}
