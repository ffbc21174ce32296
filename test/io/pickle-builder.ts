/**
 * A tiny pickle assembler for building hostile and hand-checked checkpoints in tests. Each
 * method appends one opcode (bytes as the pickle specification defines them).
 */
export class PickleBuilder {
  private readonly out: number[] = [];

  raw(...bytes: number[]): this {
    for (const b of bytes) this.out.push(b);
    return this;
  }

  proto(v = 2): this {
    return this.raw(0x80, v);
  }

  stop(): this {
    return this.raw(0x2e);
  }

  pop(): this {
    return this.raw(0x30);
  }

  mark(): this {
    return this.raw(0x28);
  }

  global(module: string, name: string): this {
    return this.raw(0x63, ...ascii(`${module}\n${name}\n`));
  }

  stackGlobal(module: string, name: string): this {
    return this.str(module).str(name).raw(0x93);
  }

  reduce(): this {
    return this.raw(0x52);
  }

  build(): this {
    return this.raw(0x62);
  }

  binpersid(): this {
    return this.raw(0x51);
  }

  none(): this {
    return this.raw(0x4e);
  }

  bool(v: boolean): this {
    return this.raw(v ? 0x88 : 0x89);
  }

  int(v: number): this {
    if (v >= 0 && v < 256) return this.raw(0x4b, v);
    if (v >= 0 && v < 65536) return this.raw(0x4d, v & 0xff, v >> 8);
    if (v >= -(2 ** 31) && v < 2 ** 31) return this.raw(0x4a, ...le(BigInt(v), 4));
    return this.long(BigInt(v));
  }

  /** LONG1: two's complement little-endian. */
  long(v: bigint): this {
    const bytes: number[] = [];
    let x = v;
    while (x !== 0n && x !== -1n) {
      bytes.push(Number(x & 0xffn));
      x >>= 8n;
    }
    if (v >= 0n && (bytes.length === 0 || bytes[bytes.length - 1] & 0x80)) bytes.push(0);
    if (v < 0n && (bytes.length === 0 || !(bytes[bytes.length - 1] & 0x80))) bytes.push(0xff);
    return this.raw(0x8a, bytes.length, ...bytes);
  }

  float(v: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v);
    return this.raw(0x47, ...b);
  }

  str(s: string): this {
    const b = Buffer.from(s, 'utf-8');
    return this.raw(0x58, ...le(BigInt(b.length), 4), ...b);
  }

  tuple(): this {
    return this.raw(0x74);
  }

  tuple0(): this {
    return this.raw(0x29);
  }

  tuple1(): this {
    return this.raw(0x85);
  }

  tuple2(): this {
    return this.raw(0x86);
  }

  tuple3(): this {
    return this.raw(0x87);
  }

  emptyList(): this {
    return this.raw(0x5d);
  }

  append(): this {
    return this.raw(0x61);
  }

  appends(): this {
    return this.raw(0x65);
  }

  emptyDict(): this {
    return this.raw(0x7d);
  }

  setitem(): this {
    return this.raw(0x73);
  }

  setitems(): this {
    return this.raw(0x75);
  }

  put(i: number): this {
    return this.raw(0x71, i);
  }

  get(i: number): this {
    return this.raw(0x68, i);
  }

  ints(values: readonly number[]): this {
    this.mark();
    for (const v of values) this.int(v);
    return this.tuple();
  }

  /** `OrderedDict()` as torch.save writes it (REDUCE of the class with no arguments). */
  orderedDict(): this {
    return this.global('collections', 'OrderedDict').tuple0().reduce();
  }

  /** A tensor as torch.save (zip) writes it: _rebuild_tensor_v2 over a persistent storage id. */
  tensor(t: TensorSpec): this {
    this.global('torch._utils', '_rebuild_tensor_v2').mark();
    this.mark().str('storage').global('torch', t.storageType ?? 'FloatStorage').str(t.key).str('cpu').int(t.numel);
    if (t.legacy) this.none();
    this.tuple().binpersid();
    this.int(t.offset ?? 0).ints(t.size).ints(t.stride ?? contiguousStride(t.size)).bool(false).orderedDict();
    return this.tuple().reduce();
  }

  /** An OrderedDict of named tensors: the body of a state_dict pickle, including PROTO and STOP. */
  static stateDict(tensors: readonly (TensorSpec & { name: string })[]): Uint8Array {
    const p = new PickleBuilder().proto(2).orderedDict().mark();
    for (const t of tensors) p.str(t.name).tensor(t);
    return p.setitems().stop().bytes();
  }

  bytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

export interface TensorSpec {
  storageType?: string;
  key: string;
  numel: number;
  offset?: number;
  size: readonly number[];
  stride?: readonly number[];
  /** legacy persistent ids carry a sixth item (view metadata, None here). */
  legacy?: boolean;
}

export function contiguousStride(size: readonly number[]): number[] {
  const s = new Array<number>(size.length);
  let acc = 1;
  for (let i = size.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= size[i];
  }
  return s;
}

export function ascii(s: string): number[] {
  return [...Buffer.from(s, 'latin1')];
}

export function le(v: bigint, n: number): number[] {
  const out: number[] = [];
  let x = BigInt.asUintN(8 * n, v);
  for (let i = 0; i < n; i++) {
    out.push(Number(x & 0xffn));
    x >>= 8n;
  }
  return out;
}

/** Little-endian float32 bytes of `values`. */
export function f32Bytes(values: readonly number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}
