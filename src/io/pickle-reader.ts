import { FileError } from '../core/errors';
import { copyBytes } from './element-types';
import { isPyKey, PyDict, PyOpaque, PyTuple, pyTypeName, type PyValue } from './py-value';
import { quoted } from './quote';

/**
 * A restricted unpickler. It interprets the pickle opcodes that build data (numbers, strings,
 * lists, tuples, dicts, memo, marks) itself and hands everything that could run code in
 * Python (globals, REDUCE, BUILD, persistent ids) to a policy, which resolves the few names a
 * checkpoint needs to inert markers and refuses the rest. Opcodes that instantiate arbitrary
 * classes (INST, OBJ, NEWOBJ, NEWOBJ_EX), the extension registry (EXT1/2/4), sets and
 * out-of-band buffers are refused outright. Nothing read from the file is ever executed.
 */
export interface UnpicklePolicy {
  /** GLOBAL / STACK_GLOBAL: an inert marker for an allowed name; throws for any other. */
  global(module: string, name: string): PyValue;
  /** REDUCE: `callable(*args)` for an allowed callable; throws otherwise. */
  reduce(callable: PyValue, args: PyTuple): PyValue;
  /** BUILD: `target.__setstate__(state)` for an allowed target; throws otherwise. */
  build(target: PyValue, state: PyValue): void;
  /** PERSID / BINPERSID: the object a persistent id names. */
  persistentLoad(pid: PyValue): PyValue;
  /** NEWOBJ: `cls.__new__(cls, *args)`; without it the opcode is refused. */
  newObj?(cls: PyValue, args: PyTuple): PyValue;
}

/** A policy for plain-data pickles: no global, no call, no persistent id. */
export function plainDataPolicy(file: string): UnpicklePolicy {
  const refuse = (what: string): never => {
    throw new FileError(file, `refused to load: the pickle asks for ${what}; only plain data is accepted here (nothing was executed)`);
  };
  return {
    global: (m, n) => refuse(`the Python global ${quoted(`${m}.${n}`)}`),
    reduce: (c) => refuse(`a call of ${pyTypeName(c)}`),
    build: (t) => refuse(`BUILD on ${pyTypeName(t)}`),
    persistentLoad: () => refuse('a persistent id'),
  };
}

/** The pickle stopped at the end of the bytes it was given (more bytes may complete it). */
export class TruncatedPickleError extends FileError {}

/** Ints wider than this many bytes are refused (checkpoints hold small ints; huge ones only cost time). */
const MAX_INT_BYTES = 1024;

const OPCODE_NAMES: Record<number, string> = {
  0x69: 'INST', 0x6f: 'OBJ', 0x81: 'NEWOBJ', 0x92: 'NEWOBJ_EX', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4',
  0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
};

export interface UnpickleResult {
  value: PyValue;
  /** Offset just past the STOP opcode (the next pickle of a sequence starts here). */
  end: number;
}

/** Unpickle one pickle starting at `start`. */
export function unpickle(bytes: Uint8Array, start: number, file: string, policy: UnpicklePolicy): UnpickleResult {
  return new Unpickler(bytes, start, file, policy).run();
}

class Unpickler {
  private pos: number;
  private readonly stack: PyValue[] = [];
  /** Stack heights at each MARK (marks live beside the stack, not on it). */
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, PyValue>();
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    private readonly file: string,
    private readonly policy: UnpicklePolicy,
  ) {
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  run(): UnpickleResult {
    for (;;) {
      const at = this.pos;
      const op = this.u8();
      if (op === 0x2e) return { value: this.finish(at), end: this.pos };
      this.step(op, at);
    }
  }

  private finish(at: number): PyValue {
    if (this.stack.length !== 1 || this.marks.length !== 0) this.corrupt(`STOP with ${this.stack.length} values on the stack`, at);
    return this.popValue(at);
  }

  // one case per opcode: the switch is the pickle specification, read top to bottom
  private step(op: number, at: number): void {
    switch (op) {
      // framing and protocol
      case 0x80: { const v = this.u8(); if (v > 5) this.corrupt(`unsupported pickle protocol ${v}`, at); return; }
      case 0x95: this.take(8); return; // FRAME: a length hint only
      // marks and stack
      case 0x28: this.marks.push(this.stack.length); return;
      case 0x30: this.pop(at); return;
      case 0x31: this.popMark(at); return;
      case 0x32: this.push(this.top(at)); return;
      // None, bools, ints, floats
      case 0x4e: this.push(null); return;
      case 0x88: this.push(true); return;
      case 0x89: this.push(false); return;
      case 0x4b: this.push(this.u8()); return;
      case 0x4d: this.push(this.u16()); return;
      case 0x4a: this.push(this.i32()); return;
      case 0x8a: this.push(this.longBytes(this.u8(), at)); return;
      case 0x8b: this.push(this.longBytes(this.u32(), at)); return;
      case 0x49: this.push(this.textInt(at)); return;
      case 0x4c: this.push(this.textLong(at)); return;
      case 0x47: this.push(this.f64BigEndian()); return;
      case 0x46: this.push(this.textFloat(at)); return;
      // strings and bytes
      case 0x58: this.push(this.utf8(this.u32(), at)); return;
      case 0x8c: this.push(this.utf8(this.u8(), at)); return;
      case 0x8d: this.push(this.utf8(this.u64(), at)); return;
      case 0x56: this.push(decodeRawUnicodeEscape(this.line(at))); return;
      case 0x55: this.push(this.str8(this.u8())); return;
      case 0x54: this.push(this.str8(this.i32NonNeg(at))); return;
      case 0x53: this.push(this.quotedString(at)); return;
      case 0x43: this.push(copyBytes(this.take(this.u8()))); return;
      case 0x42: this.push(copyBytes(this.take(this.u32()))); return;
      case 0x8e: this.push(copyBytes(this.take(this.u64()))); return;
      // tuples, lists, dicts
      case 0x29: this.push(new PyTuple([])); return;
      case 0x85: this.push(new PyTuple(this.popN(1, at))); return;
      case 0x86: this.push(new PyTuple(this.popN(2, at))); return;
      case 0x87: this.push(new PyTuple(this.popN(3, at))); return;
      case 0x74: this.push(new PyTuple(this.popMark(at))); return;
      case 0x5d: this.push([]); return;
      case 0x6c: this.push(this.popMark(at)); return;
      case 0x61: { const v = this.popValue(at); this.list(this.top(at), at).push(v); return; }
      case 0x65: { const vs = this.popMark(at); this.list(this.top(at), at).push(...vs); return; }
      case 0x7d: this.push(new PyDict()); return;
      case 0x64: { const d = new PyDict(); this.setItems(d, this.popMark(at), at); this.push(d); return; }
      case 0x73: { const v = this.popValue(at); const k = this.popValue(at); this.setItems(this.dict(this.top(at), at), [k, v], at); return; }
      case 0x75: { const kv = this.popMark(at); this.setItems(this.dict(this.top(at), at), kv, at); return; }
      // memo
      case 0x70: this.memo.set(this.textIndex(at), this.top(at)); return;
      case 0x71: this.memo.set(this.u8(), this.top(at)); return;
      case 0x72: this.memo.set(this.u32(), this.top(at)); return;
      case 0x94: this.memo.set(this.memo.size, this.top(at)); return;
      case 0x67: this.push(this.recall(this.textIndex(at), at)); return;
      case 0x68: this.push(this.recall(this.u8(), at)); return;
      case 0x6a: this.push(this.recall(this.u32(), at)); return;
      // everything that would touch Python objects goes through the policy
      case 0x63: { const m = this.asciiLine(at); const n = this.asciiLine(at); this.push(this.policy.global(m, n)); return; }
      case 0x93: { const n = this.popValue(at); const m = this.popValue(at); this.push(this.stackGlobal(m, n, at)); return; }
      case 0x52: { const args = this.popValue(at); const fn = this.popValue(at); this.push(this.policy.reduce(fn, this.tuple(args, at))); return; }
      case 0x62: { const state = this.popValue(at); this.policy.build(this.top(at), state); return; }
      case 0x51: this.push(this.policy.persistentLoad(this.popValue(at))); return;
      case 0x81: if (this.policy.newObj) { const args = this.popValue(at); const cls = this.popValue(at); this.push(this.policy.newObj(cls, this.tuple(args, at))); return; } break;
      case 0x50: this.push(this.policy.persistentLoad(this.asciiLine(at))); return;
    }
    // opcodes the switch does not take (NEWOBJ only when the policy has no newObj)
    const name = OPCODE_NAMES[op];
    if (name) throw new FileError(this.file, `refused to load: the pickle uses opcode ${name} at byte ${at}, which can create arbitrary Python objects or is not needed by a checkpoint (nothing was executed)`);
    this.corrupt(`unknown opcode 0x${op.toString(16).padStart(2, '0')}`, at);
  }

  // --- byte access ---------------------------------------------------------------------------
  private take(n: number): Uint8Array {
    if (n > this.bytes.length - this.pos) this.truncated(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private truncated(n: number): never {
    throw new TruncatedPickleError(this.file, `corrupt or truncated pickle: needs ${n} bytes at byte ${this.pos}, only ${this.bytes.length - this.pos} left`);
  }

  private u8(): number {
    return this.take(1)[0];
  }

  private u16(): number {
    this.take(2);
    return this.view.getUint16(this.pos - 2, true);
  }

  private i32(): number {
    this.take(4);
    return this.view.getInt32(this.pos - 4, true);
  }

  private u32(): number {
    this.take(4);
    return this.view.getUint32(this.pos - 4, true);
  }

  private i32NonNeg(at: number): number {
    const n = this.i32();
    if (n < 0) this.corrupt('negative string length', at);
    return n;
  }

  /** A u64 length; one beyond the remaining bytes is reported as truncation before any allocation. */
  private u64(): number {
    this.take(8);
    const n = this.view.getBigUint64(this.pos - 8, true);
    if (n > BigInt(this.bytes.length - this.pos)) this.truncated(Number(n));
    return Number(n);
  }

  private f64BigEndian(): number {
    this.take(8);
    return this.view.getFloat64(this.pos - 8, false);
  }

  private line(at: number): Uint8Array {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) this.truncated(this.bytes.length - this.pos + 1);
    if (end - this.pos > 4096 + MAX_INT_BYTES * 3) this.corrupt('text line too long', at);
    const out = this.bytes.subarray(this.pos, end);
    this.pos = end + 1;
    return out;
  }

  private asciiLine(at: number): string {
    const b = this.line(at);
    for (const c of b) if (c < 0x20 || c > 0x7e) this.corrupt('non-ASCII name', at);
    return Buffer.from(b).toString('latin1');
  }

  private utf8(n: number, at: number): string {
    const b = this.take(n);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(b);
    } catch {
      return this.corrupt('string is not valid UTF-8', at);
    }
  }

  /** Python 2 `str` (BINSTRING, SHORT_BINSTRING): UTF-8 when valid, else Latin-1. */
  private str8(n: number): string {
    const b = this.take(n);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(b);
    } catch {
      return Buffer.from(b).toString('latin1');
    }
  }

  private quotedString(at: number): string {
    const s = Buffer.from(this.line(at)).toString('latin1');
    const q = s[0];
    if (s.length < 2 || (q !== "'" && q !== '"') || s[s.length - 1] !== q) this.corrupt('STRING is not quoted', at);
    return decodePythonEscapes(s.slice(1, -1));
  }

  // --- numbers -------------------------------------------------------------------------------
  private longBytes(n: number, at: number): number | bigint {
    if (n > MAX_INT_BYTES) {
      this.take(n); // a truncated file reports truncation first
      throw new FileError(this.file, `refused to load: an integer of ${n} bytes at byte ${at} (more than any checkpoint needs)`);
    }
    const b = this.take(n);
    if (n === 0) return 0;
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
    return normaliseInt(v);
  }

  private textInt(at: number): number | bigint | boolean {
    const s = Buffer.from(this.line(at)).toString('latin1');
    if (s === '01') return true;
    if (s === '00') return false;
    return this.parseIntText(s, at);
  }

  private textLong(at: number): number | bigint {
    const s = Buffer.from(this.line(at)).toString('latin1');
    return this.parseIntText(s.endsWith('L') ? s.slice(0, -1) : s, at);
  }

  private parseIntText(s: string, at: number): number | bigint {
    if (!/^[+-]?\d+$/.test(s) || s.length > MAX_INT_BYTES * 3) this.corrupt(`bad integer literal ${quoted(s, 40)}`, at);
    return normaliseInt(BigInt(s));
  }

  private textFloat(at: number): number {
    const s = Buffer.from(this.line(at)).toString('latin1').trim();
    const v = Number(s);
    if (Number.isNaN(v) && !/^[+-]?nan$/i.test(s)) this.corrupt(`bad float literal ${quoted(s, 40)}`, at);
    return v;
  }

  private textIndex(at: number): number {
    const s = Buffer.from(this.line(at)).toString('latin1');
    if (!/^\d{1,15}$/.test(s)) this.corrupt(`bad memo index ${quoted(s, 40)}`, at);
    return Number(s);
  }

  // --- stack ---------------------------------------------------------------------------------
  private push(v: PyValue): void {
    this.stack.push(v);
  }

  private top(at: number): PyValue {
    const floor = this.marks.length ? this.marks[this.marks.length - 1] : 0;
    if (this.stack.length <= floor) this.corrupt('stack underflow', at);
    return this.stack[this.stack.length - 1];
  }

  private popValue(at: number): PyValue {
    const v = this.top(at);
    this.stack.pop();
    return v;
  }

  /** POP: the top value, or the top mark when nothing was pushed after it (as Python does). */
  private pop(at: number): void {
    const floor = this.marks.length ? this.marks[this.marks.length - 1] : 0;
    if (this.stack.length > floor) this.stack.pop();
    else this.popMark(at);
  }

  private popN(n: number, at: number): PyValue[] {
    const floor = this.marks.length ? this.marks[this.marks.length - 1] : 0;
    if (this.stack.length - n < floor) this.corrupt('stack underflow', at);
    return this.stack.splice(this.stack.length - n, n);
  }

  private popMark(at: number): PyValue[] {
    const m = this.marks.pop();
    if (m === undefined) return this.corrupt('no MARK to pop to', at);
    return this.stack.splice(m);
  }

  private recall(i: number, at: number): PyValue {
    if (!this.memo.has(i)) this.corrupt(`memo entry ${i} was never stored`, at);
    return this.memo.get(i) as PyValue;
  }

  /** The list APPEND adds to; items added to a skipped object go to a throw-away list. */
  private list(v: PyValue, at: number): PyValue[] {
    if (v instanceof PyOpaque) return [];
    if (!Array.isArray(v)) return this.refuseOp(`APPEND to ${pyTypeName(v)}`, at);
    return v;
  }

  private dict(v: PyValue, at: number): PyDict {
    if (v instanceof PyOpaque) return new PyDict();
    if (!(v instanceof PyDict)) return this.refuseOp(`SETITEM on ${pyTypeName(v)}`, at);
    return v;
  }

  private tuple(v: PyValue, at: number): PyTuple {
    if (!(v instanceof PyTuple)) return this.refuseOp(`REDUCE with ${pyTypeName(v)} arguments`, at);
    return v;
  }

  private setItems(d: PyDict, kv: PyValue[], at: number): void {
    if (kv.length % 2) this.corrupt('odd number of items for a dict', at);
    for (let i = 0; i < kv.length; i += 2) {
      const k = kv[i];
      if (!isPyKey(k)) this.refuseOp(`a dict key of type ${pyTypeName(k)}`, at);
      d.entries.set(k as string, kv[i + 1]);
    }
  }

  private stackGlobal(m: PyValue, n: PyValue, at: number): PyValue {
    if (typeof m !== 'string' || typeof n !== 'string') return this.corrupt('STACK_GLOBAL needs two strings', at);
    return this.policy.global(m, n);
  }

  private refuseOp(what: string, at: number): never {
    throw new FileError(this.file, `refused to load: the pickle asks for ${what} at byte ${at} (nothing was executed)`);
  }

  private corrupt(what: string, at: number): never {
    throw new FileError(this.file, `corrupt pickle: ${what} at byte ${at}`);
  }
}

function normaliseInt(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Protocol-0 UNICODE: raw-unicode-escape (\uXXXX and \UXXXXXXXX; other bytes are Latin-1). */
function decodeRawUnicodeEscape(b: Uint8Array): string {
  const s = Buffer.from(b).toString('latin1');
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, u4: string, u8: string) => {
    const cp = parseInt(u4 ?? u8, 16);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
  });
}

/** Protocol-0 STRING: a Python 2 string literal body. */
function decodePythonEscapes(s: string): string {
  const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v' };
  return s.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]+$/.test(e)) return String.fromCharCode(parseInt(e, 8) & 0xff);
    return simple[e] ?? `\\${e}`;
  });
}
