import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileError } from '../../src/core/errors';
import { hostTensor, type HostTensor } from '../../src/core/host-tensor';
import { writeFileAtomic } from '../../src/io/atomic-write';
import { encodeSafetensors, parseSafetensors, readSafetensors, readSafetensorsHeader, writeSafetensors } from '../../src/io/safetensors';
import { le } from './pickle-builder';

/** A safetensors file assembled by hand: header JSON, then the given data bytes. */
function handMade(header: object, data: number[]): Uint8Array {
  let json = JSON.stringify(header);
  while ((json.length + 8) % 8) json += ' ';
  return Buffer.concat([Uint8Array.from(le(BigInt(json.length), 8)), Buffer.from(json), Uint8Array.from(data)]);
}

describe('io: safetensors', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'hrdet-st-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads every supported dtype from hand-written bytes', async () => {
    const f = handMade(
      {
        __metadata__: { who: 'test' },
        f16: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
        bf16: { dtype: 'BF16', shape: [2], data_offsets: [4, 8] },
        f64: { dtype: 'F64', shape: [1], data_offsets: [8, 16] },
        i64: { dtype: 'I64', shape: [1], data_offsets: [16, 24] },
        i32: { dtype: 'I32', shape: [1], data_offsets: [24, 28] },
        i16: { dtype: 'I16', shape: [1], data_offsets: [28, 30] },
        i8: { dtype: 'I8', shape: [2], data_offsets: [30, 32] },
        u8: { dtype: 'U8', shape: [1, 1], data_offsets: [32, 33] },
        b: { dtype: 'BOOL', shape: [2], data_offsets: [33, 35] },
        f32: { dtype: 'F32', shape: [], data_offsets: [35, 39] },
        none: { dtype: 'F32', shape: [0, 4], data_offsets: [39, 39] },
      },
      [
        0x00, 0x3c, 0x00, 0xc1, // f16: 1, -2.5
        0x80, 0x3f, 0x20, 0xc0, // bf16: 1, -2.5
        0, 0, 0, 0, 0, 0, 0xf8, 0x3f, // f64: 1.5
        0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, // i64: 2^63 - 2
        0xff, 0xff, 0xff, 0xff, // i32: -1
        0x00, 0x80, // i16: -32768
        0x7f, 0x80, // i8: 127, -128
        0xc8, // u8: 200
        0x01, 0x00, // bool
        0x00, 0x00, 0x20, 0x40, // f32: 2.5 (unaligned: starts at byte 35 of the data)
      ],
    );
    const { tensors, metadata } = await parseSafetensors(f);
    expect(metadata).to.deep.equal({ who: 'test' });
    const get = (k: string) => {
      const t = tensors.get(k)!;
      return [t.dtype, t.shape, [...(t.data as Iterable<number | bigint>)]];
    };
    expect(get('f16')).to.deep.equal(['float32', [2], [1, -2.5]]);
    expect(get('bf16')).to.deep.equal(['float32', [2], [1, -2.5]]);
    expect(get('f64')).to.deep.equal(['float32', [1], [1.5]]);
    expect(get('i64')).to.deep.equal(['int64', [1], [2n ** 63n - 2n]]);
    expect(get('i32')).to.deep.equal(['int32', [1], [-1]]);
    expect(get('i16')).to.deep.equal(['int32', [1], [-32768]]);
    expect(get('i8')).to.deep.equal(['int32', [2], [127, -128]]);
    expect(get('u8')).to.deep.equal(['uint8', [1, 1], [200]]);
    expect(get('b')).to.deep.equal(['bool', [2], [1, 0]]);
    expect(get('f32')).to.deep.equal(['float32', [], [2.5]]);
    expect(get('none')).to.deep.equal(['float32', [0, 4], []]);
  });

  it('orders tensors by their data, even when the header lists them otherwise or names look numeric', async () => {
    const f = handMade({ '1': { dtype: 'U8', shape: [1], data_offsets: [1, 2] }, b: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, [7, 9]);
    const { tensors } = await parseSafetensors(f);
    expect([...tensors.keys()]).to.deep.equal(['b', '1']);
  });

  it('writes the documented layout: u64 header length, space-padded JSON, data back to back', async () => {
    const p = join(dir, 'layout.safetensors');
    await writeSafetensors(p, { a: hostTensor('float32', [2], Float32Array.from([1, 2])), b: hostTensor('uint8', [3], Uint8Array.from([4, 5, 6])) }, { k: 'v' });
    const bytes = readFileSync(p);
    const n = Number(bytes.readBigUInt64LE(0));
    expect(n % 8).to.equal(0);
    const json = bytes.subarray(8, 8 + n).toString('utf-8');
    expect(json.trimEnd()).to.equal(
      '{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[3],"data_offsets":[8,11]}}',
    );
    expect(json.slice(json.trimEnd().length)).to.match(/^ *$/);
    expect([...bytes.subarray(8 + n)]).to.deep.equal([0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 4, 5, 6]);
  });

  it('round-trips every writable dtype, 0-d and empty tensors, unaligned sub-array views', async () => {
    const backing = new Float32Array(10).map((_, i) => i * 0.5);
    const tensors = new Map<string, HostTensor>([
      ['f', hostTensor('float32', [2, 2], backing.subarray(3, 7))],
      ['i32', hostTensor('int32', [3], Int32Array.from([-5, 0, 2 ** 31 - 1]))],
      ['i64', hostTensor('int64', [], BigInt64Array.from([-(2n ** 62n)]))],
      ['u8', hostTensor('uint8', [2], Uint8Array.from([0, 255]))],
      ['bool', hostTensor('bool', [3], Uint8Array.from([1, 0, 7]))],
      ['empty', hostTensor('float32', [0])],
    ]);
    const p = join(dir, 'rt.safetensors');
    await writeSafetensors(p, tensors, { hrdet_version: '0.1.0' });
    const back = await readSafetensors(p);
    expect(back.metadata).to.deep.equal({ hrdet_version: '0.1.0' });
    expect([...back.tensors.keys()]).to.deep.equal([...tensors.keys()]);
    expect([...back.tensors.get('f')!.data]).to.deep.equal([1.5, 2, 2.5, 3]);
    expect(back.tensors.get('i64')!.data).to.deep.equal(BigInt64Array.from([-(2n ** 62n)]));
    expect([...back.tensors.get('bool')!.data]).to.deep.equal([1, 0, 1]);
    for (const k of ['i32', 'u8', 'empty']) expect(back.tensors.get(k), k).to.deep.equal(tensors.get(k));
    const header = await readSafetensorsHeader(p);
    expect(header.tensors.map((t) => t.dtype)).to.deep.equal(['F32', 'I32', 'I64', 'U8', 'BOOL', 'F32']);
  });

  it('encodeSafetensors matches the file writeSafetensors produces', async () => {
    const t = { x: hostTensor('float32', [1], Float32Array.from([3])) };
    const p = join(dir, 'enc.safetensors');
    await writeSafetensors(p, t);
    expect(Buffer.compare(readFileSync(p), Buffer.from(encodeSafetensors(t)))).to.equal(0);
  });

  it('refuses tensors it cannot write (shape/data mismatch, reserved name)', async () => {
    const bad = { x: { dtype: 'float32' as const, shape: [3], data: new Float32Array(2) } };
    const err = await writeSafetensors(join(dir, 'bad.safetensors'), bad).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(FileError);
    expect((err as Error).message).to.include('shape [3] but 2 values');
    const err2 = await writeSafetensors(join(dir, 'bad.safetensors'), { __metadata__: hostTensor('float32', [1]) }).catch((e: unknown) => e);
    expect((err2 as Error).message).to.include('cannot be used as a tensor name');
  });

  describe('atomic writes', () => {
    it('a failing writer leaves the previous file intact and no temporary file behind', async () => {
      const p = join(dir, 'atomic.bin');
      writeFileSync(p, 'old content');
      const err = await writeFileAtomic(p, async (out) => {
        await out.write(Buffer.from('half of the new'));
        throw new Error('disk on fire');
      }).catch((e: unknown) => e);
      expect((err as Error).message).to.equal('disk on fire');
      expect(readFileSync(p, 'utf-8')).to.equal('old content');
      expect(readdirSync(dir).filter((f) => f.startsWith('.atomic.bin'))).to.deep.equal([]);
    });

    it('replaces the file in one step and reports a missing directory as a FileError', async () => {
      const p = join(dir, 'atomic2.bin');
      writeFileSync(p, 'old');
      await writeFileAtomic(p, async (out) => out.write(Buffer.from('new')));
      expect(readFileSync(p, 'utf-8')).to.equal('new');
      const missing = join(dir, 'no-such-dir', 'x.safetensors');
      const err = await writeSafetensors(missing, {}).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(FileError);
      expect((err as Error).message).to.equal(`${missing}: cannot write: directory ${join(dir, 'no-such-dir')} does not exist`);
    });
  });
});
