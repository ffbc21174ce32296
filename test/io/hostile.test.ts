import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileError } from '../../src/core/errors';
import { loadCheckpoint, loadCheckpointFrom } from '../../src/io/checkpoint';
import { BufferSource } from '../../src/io/byte-source';
import { openPth } from '../../src/io/pth';
import { PyDict, type TensorRef } from '../../src/io/py-value';
import { readSafetensors } from '../../src/io/safetensors';
import { buildLegacyPth, buildZip, buildZipPth } from './archive-builder';
import { f32Bytes, le, PickleBuilder } from './pickle-builder';

/**
 * A checkpoint is untrusted input: these files try to make the loader run Python, read outside
 * the file, allocate without bound or confuse it with odd archives. Each must be refused with a
 * one-line FileError that names the file (and, for code, the Python global it asked for).
 */
describe('io: hostile and broken checkpoints', () => {
  let dir: string;
  let pwned: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hrdet-hostile-'));
    pwned = join(dir, 'pwned');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  let n = 0;
  function file(bytes: Uint8Array): string {
    const p = join(dir, `case${n++}.pth`);
    writeFileSync(p, bytes);
    return p;
  }

  async function refused(bytes: Uint8Array, ...mentions: (string | RegExp)[]): Promise<string> {
    const p = file(bytes);
    let err: unknown;
    try {
      await loadCheckpoint(p);
    } catch (e) {
      err = e;
    }
    expect(err, 'loading should fail').to.be.instanceOf(FileError);
    const msg = (err as FileError).message;
    expect(msg.startsWith(`${p}: `), msg).to.equal(true);
    expect(msg, 'one line').to.not.include('\n');
    for (const m of mentions) {
      if (typeof m === 'string') expect(msg).to.include(m);
      else expect(msg).to.match(m);
    }
    expect(existsSync(pwned), 'nothing may have been executed').to.equal(false);
    return msg;
  }

  /** `module.name(arg)` as a pickle's whole content: the classic __reduce__ gadget. */
  function callPickle(module: string, name: string, arg = `touch ${pwned}`): Uint8Array {
    return new PickleBuilder().proto(2).global(module, name).str(arg).tuple1().reduce().stop().bytes();
  }

  const validTensor = { name: 'w', key: '0', numel: 2, size: [2] };
  const validStorage = { '0': f32Bytes([1, 2]) };

  describe('code execution attempts (never executed, always named)', () => {
    for (const [module, name] of [
      ['os', 'system'],
      ['posix', 'system'],
      ['builtins', 'eval'],
      ['builtins', 'exec'],
      ['__builtin__', 'eval'],
      ['subprocess', 'Popen'],
      ['subprocess', 'check_output'],
      ['builtins', 'getattr'],
      ['importlib', 'import_module'],
    ]) {
      it(`GLOBAL ${module}.${name} + REDUCE in a zip .pth`, async () => {
        await refused(buildZipPth(callPickle(module, name), {}), `'${module}.${name}'`, 'refused', 'nothing was executed');
      });
    }

    it('STACK_GLOBAL (protocol 4) os.system', async () => {
      const p = new PickleBuilder().proto(4).stackGlobal('os', 'system').str('id').tuple1().reduce().stop().bytes();
      await refused(buildZipPth(p, {}), "'os.system'");
    });

    it('a gadget nested as one value of an otherwise valid state_dict', async () => {
      const p = new PickleBuilder().proto(2).orderedDict().mark().str('w').tensor(validTensor);
      p.str('evil').emptyDict().str('x').global('os', 'system').str(`touch ${pwned}`).tuple1().reduce().setitem();
      await refused(buildZipPth(p.setitems().stop().bytes(), validStorage), "'os.system'");
    });

    it('a gadget inside the meta of an mmdetection-style wrapper', async () => {
      const p = new PickleBuilder().proto(2).emptyDict().mark();
      p.str('meta').emptyDict().str('hook').global('subprocess', 'call').str('id').tuple1().reduce().setitem();
      p.str('state_dict').orderedDict().mark().str('w').tensor(validTensor).setitems();
      await refused(buildZipPth(p.setitems().stop().bytes(), validStorage), "'subprocess.call'");
    });

    it('in a legacy .pth: the object pickle', async () => {
      await refused(buildLegacyPth(callPickle('os', 'system'), []), "'os.system'");
    });

    it('in a legacy .pth: the magic-number and sys-info pickles', async () => {
      await refused(buildLegacyPth(callPickle('os', 'system'), [], { magic: callPickle('os', 'system') }), "'os.system'");
      await refused(buildLegacyPth(callPickle('os', 'system'), [], { sysInfo: callPickle('builtins', 'eval', '1') }), "'builtins.eval'");
    });

    it('torch names that are not tensor plumbing (full-model pickles, other rebuilders)', async () => {
      for (const [m, nm] of [
        ['torch.nn.modules.conv', 'Conv2d'],
        ['torch', 'load'],
        ['torch._utils', '_rebuild_qtensor'],
        ['torch.serialization', '_get_layout'],
        ['torch', 'FloatStoragex'],
        ['torch', 'toString'],
      ]) {
        await refused(buildZipPth(new PickleBuilder().proto(2).global(m, nm).stop().bytes(), {}), `'${m}.${nm}'`);
      }
    });

    it('training-checkpoint types: a call of any other name is refused; an unknown class instance is skipped with a warning', async () => {
      await refused(buildZipPth(callPickle('mmdet.evil', 'Thing'), {}), "'mmdet.evil.Thing'", 'refused');
      const badCodec = new PickleBuilder().proto(2).global('_codecs', 'encode').str('x').str('rot13').tuple2().reduce().stop();
      await refused(buildZipPth(badCodec.bytes(), {}), '_codecs.encode other than (text, latin1)');
      const structured = new PickleBuilder().proto(2).global('numpy', 'dtype').str('V8').bool(false).bool(true).tuple3().reduce().stop();
      await refused(buildZipPth(structured.bytes(), {}), "numpy dtype 'V8'");
      const reconstructOther = new PickleBuilder().proto(2).global('numpy.core.multiarray', '_reconstruct').global('os', 'system');
      await refused(buildZipPth(reconstructOther.bytes(), {}), "'os.system'");
      // {'state_dict': {'w': tensor}, 'hook': mmdet.x.Hook() with state} → loads, warns once
      const p = new PickleBuilder().proto(2).emptyDict().mark().str('state_dict').orderedDict().mark().str('w').tensor(validTensor).setitems();
      p.str('hook').global('mmdet.x', 'Hook').tuple0().raw(0x81).emptyDict().str('cmd').str('rm -rf /').setitem().build();
      const path = file(buildZipPth(p.setitems().stop().bytes(), validStorage));
      const warnings: string[] = [];
      const c = await loadCheckpoint(path, { onWarning: (m) => warnings.push(m) });
      expect([...c.stateDict.keys()]).to.deep.equal(['w']);
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.include('mmdet.x.Hook').and.include('nothing was executed');
      expect(existsSync(pwned)).to.equal(false);
    });

    it('allowed names used the wrong way: calling a storage class, REDUCE on data, odd OrderedDict args', async () => {
      const callStorage = new PickleBuilder().proto(2).global('torch', 'FloatStorage').int(10).tuple1().reduce().stop();
      await refused(buildZipPth(callStorage.bytes(), {}), 'torch.FloatStorage', 'refused');
      const reduceList = new PickleBuilder().proto(2).emptyList().tuple0().reduce().stop();
      await refused(buildZipPth(reduceList.bytes(), {}), 'a call of list');
      const odArgs = new PickleBuilder().proto(2).global('collections', 'OrderedDict').str('abc').tuple1().reduce().stop();
      await refused(buildZipPth(odArgs.bytes(), {}), 'OrderedDict');
      const reduceArgsNotTuple = new PickleBuilder().proto(2).global('collections', 'OrderedDict').emptyList().reduce().stop();
      await refused(buildZipPth(reduceArgsNotTuple.bytes(), {}), 'REDUCE with list arguments');
    });

    it('BUILD on anything but a dict (e.g. a tensor, a list)', async () => {
      const onTensor = new PickleBuilder().proto(2).tensor(validTensor).emptyDict().build().stop();
      await refused(buildZipPth(onTensor.bytes(), validStorage), 'BUILD of torch.Tensor');
      const onList = new PickleBuilder().proto(2).emptyList().emptyDict().build().stop();
      await refused(buildZipPth(onList.bytes(), {}), 'BUILD of list');
    });

    for (const [op, name] of [
      [0x69, 'INST'],
      [0x6f, 'OBJ'],
      [0x92, 'NEWOBJ_EX'],
      [0x82, 'EXT1'],
      [0x83, 'EXT2'],
      [0x84, 'EXT4'],
      [0x8f, 'EMPTY_SET'],
      [0x97, 'NEXT_BUFFER'],
    ] as const) {
      it(`opcode ${name}`, async () => {
        const p = new PickleBuilder().proto(4).raw(op, ...Buffer.from('os\nsystem\n')).stop().bytes();
        await refused(buildZipPth(p, {}), name, 'refused');
      });
    }

    it('persistent ids that are not tensor storages (legacy "module" source records, strings, bad keys)', async () => {
      const moduleId = new PickleBuilder().proto(2).mark().str('module').str('Net').str('net.py').str('class Net: ...').tuple().binpersid().stop();
      await refused(buildLegacyPth(moduleId.bytes(), []), 'persistent id');
      const stringId = new PickleBuilder().proto(2).str('storage').binpersid().stop();
      await refused(buildZipPth(stringId.bytes(), {}), 'persistent id');
      const traversal = PickleBuilder.stateDict([{ name: 'w', key: '../../etc/passwd', numel: 1, size: [1] }]);
      await refused(buildZipPth(traversal, {}), 'invalid storage key');
      const notStorageType = new PickleBuilder().proto(2).mark().str('storage').str('FloatStorage').str('0').str('cpu').int(1).tuple().binpersid().stop();
      await refused(buildZipPth(notStorageType.bytes(), {}), 'storage of type str');
    });
  });

  describe('truncated and corrupt files', () => {
    const good = buildZipPth(PickleBuilder.stateDict([validTensor]), validStorage);
    const goodLegacy = buildLegacyPth(PickleBuilder.stateDict([{ ...validTensor, legacy: true }]), [{ key: '0', count: 2, data: f32Bytes([1, 2]) }]);

    it('the well-formed versions of these files load (so the refusals below are about the damage)', async () => {
      for (const bytes of [good, goodLegacy]) {
        const { stateDict } = await loadCheckpoint(file(bytes));
        expect([...stateDict.get('w')!.data]).to.deep.equal([1, 2]);
      }
    });

    it('zip cut at many points', async () => {
      for (const cut of [10, 100, Math.floor(good.length / 2), good.length - 30, good.length - 1]) {
        await refused(good.subarray(0, cut), /corrupt|not a/);
      }
    });

    it('legacy cut at many points (inside the pickles and inside the storage data)', async () => {
      for (const cut of [3, 20, 60, Math.floor(goodLegacy.length / 2), goodLegacy.length - 9, goodLegacy.length - 1]) {
        await refused(goodLegacy.subarray(0, cut), /corrupt|truncated|not a/);
      }
    });

    it('empty, random and text files', async () => {
      await refused(new Uint8Array(0), 'empty file');
      await refused(Uint8Array.from({ length: 300 }, (_, i) => (i * 37 + 11) & 0xff), 'not a checkpoint');
      await refused(Buffer.from('conv1.weight float32 [64,3,3,3]\n'), 'not a checkpoint');
    });

    it('a pickle without STOP, with an unknown opcode, an unsupported protocol or stack underflow', async () => {
      await refused(buildZipPth(new PickleBuilder().proto(2).emptyDict().bytes(), {}), 'truncated');
      await refused(buildZipPth(new PickleBuilder().proto(2).raw(0xff).stop().bytes(), {}), 'unknown opcode 0xff');
      await refused(buildZipPth(new PickleBuilder().proto(9).none().stop().bytes(), {}), 'protocol 9');
      await refused(buildZipPth(new PickleBuilder().proto(2).setitem().stop().bytes(), {}), 'stack underflow');
      await refused(buildZipPth(new PickleBuilder().proto(2).get(7).stop().bytes(), {}), 'memo entry 7');
    });

    it('a zip entry whose data fails its CRC', async () => {
      const bytes = buildZip([
        { name: 'a/data.pkl', data: PickleBuilder.stateDict([validTensor]) },
        { name: 'a/data/0', data: f32Bytes([1, 2]), crc: 12345 },
      ]);
      await refused(bytes, 'CRC');
    });

    it('legacy: wrong magic number, wrong protocol, storage counts that disagree with the ids', async () => {
      const badMagic = new PickleBuilder().proto(2).int(42).stop().bytes();
      await refused(buildLegacyPth(PickleBuilder.stateDict([]), [], { magic: badMagic }), 'magic number');
      const obj = PickleBuilder.stateDict([{ ...validTensor, legacy: true }]);
      await refused(buildLegacyPth(obj, [{ key: '0', count: 3, data: f32Bytes([1, 2, 3]) }]), 'holds 3 elements');
      await refused(buildLegacyPth(obj, []), "storage '0' has no data");
    });

    it('a state_dict entry that is not a tensor, and a top level that is not a dict', async () => {
      const p = new PickleBuilder().proto(2).orderedDict().mark().str('w').tensor(validTensor).str('x').int(3).setitems().stop();
      await refused(buildZipPth(p.bytes(), validStorage), 'no state_dict');
      const wrapped = new PickleBuilder().proto(2).emptyDict().str('state_dict').emptyDict().str('x').emptyList().setitem().setitem().stop();
      await refused(buildZipPth(wrapped.bytes(), {}), "entry 'x' is a list");
      await refused(buildZipPth(new PickleBuilder().proto(2).emptyList().stop().bytes(), {}), 'holds a list');
    });
  });

  describe('random damage', () => {
    it('1500 randomly damaged PyTorch files: each loads or fails with a one-line FileError', async () => {
      const dir = join(__dirname, '../../../test/fixtures/io');
      const names = ['dtypes', 'dtypes_legacy', 'views', 'views_legacy', 'views_deflated', 'wrapper', 'wrapper_legacy', 'module_legacy'];
      const originals = names.map((n) => readFileSync(join(dir, `${n}.pth`)));
      let seed = 12345;
      const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
      const counts = { loaded: 0, refused: 0 };
      for (let i = 0; i < 1500; i++) {
        const b = Buffer.from(originals[Math.floor(rnd() * originals.length)]);
        const mode = rnd();
        let bytes: Uint8Array = b;
        if (mode < 0.6) for (let j = 0; j < 1 + rnd() * 4; j++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
        else if (mode < 0.8) bytes = b.subarray(0, Math.floor(rnd() * b.length));
        else b.writeUInt32LE(Math.floor(rnd() * 2 ** 32), Math.floor(rnd() * (b.length - 4)));
        try {
          await loadCheckpointFrom(new BufferSource(`damaged${i}.pth`, bytes));
          counts.loaded++;
        } catch (e) {
          if (!(e instanceof FileError) || e.message.includes('\n')) throw e;
          counts.refused++;
        }
      }
      expect(counts.refused).to.be.greaterThan(1000);
    });
  });

  describe('sizes that lie', () => {
    it('string lengths far beyond the file (BINUNICODE 4 GiB, BINUNICODE8 2^62, LONG4 2 GiB)', async () => {
      await refused(buildZipPth(new PickleBuilder().proto(2).raw(0x58, 0xff, 0xff, 0xff, 0xff).stop().bytes(), {}), 'truncated');
      await refused(buildZipPth(new PickleBuilder().proto(4).raw(0x8d, ...le(1n << 62n, 8)).stop().bytes(), {}), 'truncated');
      await refused(buildZipPth(new PickleBuilder().proto(2).raw(0x8b, 0, 0, 0, 0x80).stop().bytes(), {}), 'truncated');
    });

    it('an integer wider than any checkpoint needs', async () => {
      const wide = new PickleBuilder().proto(2).raw(0x8b, ...le(5000n, 4), ...new Array(5000).fill(1)).stop().bytes();
      await refused(buildZipPth(wide, {}), 'integer of 5000 bytes');
    });

    it('storage numel far larger than its zip entry', async () => {
      await refused(buildZipPth(PickleBuilder.stateDict([{ name: 'w', key: '0', numel: 2 ** 50, size: [2] }]), validStorage), 'needs', 'bytes');
    });

    it('tensor sizes and strides that read past the storage, or huge offsets', async () => {
      const cases = [
        { name: 'w', key: '0', numel: 2, size: [3] },
        { name: 'w', key: '0', numel: 2, size: [2], offset: 1 },
        { name: 'w', key: '0', numel: 2, size: [2], stride: [5] },
        { name: 'w', key: '0', numel: 2, size: [1e9, 1e9] },
        { name: 'w', key: '0', numel: 2, size: [1], offset: 2 ** 40 },
        { name: 'w', key: '0', numel: 2, size: [0], offset: 3 },
      ];
      for (const t of cases) await refused(buildZipPth(PickleBuilder.stateDict([t]), validStorage), 'corrupt checkpoint');
    });

    it('a stride-0 view that would expand one float to gigabytes is refused before allocating', async () => {
      const t = { name: 'w', key: '0', numel: 2, size: [65536, 65536], stride: [0, 0] };
      await refused(buildZipPth(PickleBuilder.stateDict([t]), validStorage), 'would take more than');
    });

    it('many strided views over one storage (each walking all of it) hit the read budget', async () => {
      // 100 distinct tensors of 2 elements whose stride spans a 1000-float storage
      const tensors = Array.from({ length: 100 }, (_, i) => ({ name: `t${i}`, key: '0', numel: 1000, size: [2], stride: [999] }));
      const bytes = buildZipPth(PickleBuilder.stateDict(tensors), { '0': f32Bytes(new Array(1000).fill(1)) });
      const pth = await openPth(new BufferSource('amplify.pth', bytes), { maxTensorBytes: 64 * 1024 });
      const dict = pth.root as PyDict;
      let err: unknown;
      let read = 0;
      try {
        for (const t of dict.entries.values()) {
          await pth.tensor(t as TensorRef);
          read++;
        }
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(FileError);
      expect((err as Error).message).to.include('would take more than');
      expect(read).to.equal(16); // 16 x 4000 bytes fit in 64 KiB
    });

    it('legacy storage element count far beyond the file', async () => {
      const obj = PickleBuilder.stateDict([{ name: 'w', key: '0', numel: 2 ** 40, size: [2], legacy: true }]);
      await refused(buildLegacyPth(obj, [{ key: '0', count: 2 ** 40, data: f32Bytes([1, 2]) }]), 'outside the file');
    });

    it('a deflated entry that claims to inflate 1000x beyond what deflate can (zip bomb)', async () => {
      const bytes = buildZip([
        { name: 'a/data.pkl', data: PickleBuilder.stateDict([validTensor]) },
        { name: 'a/data/0', data: new Uint8Array(8), deflate: true, declaredSize: 2 ** 31 },
      ]);
      await refused(bytes, /claims to inflate|stored entry/);
    });

    it('safetensors: header length 2^63, header beyond the file, shapes that disagree with offsets', async () => {
      const st = async (bytes: Uint8Array, mention: string) => {
        const p = file(bytes);
        let err: unknown;
        await readSafetensors(p).catch((e) => (err = e));
        expect(err).to.be.instanceOf(FileError);
        expect((err as Error).message).to.include(mention);
      };
      await st(Uint8Array.from([...le(1n << 63n, 8), 0x7b, 0x7d]), 'exceeds the file');
      const header = (h: object, data = 0) => {
        const json = Buffer.from(JSON.stringify(h));
        return Buffer.concat([Uint8Array.from(le(BigInt(json.length), 8)), json, new Uint8Array(data)]);
      };
      await st(header({ x: { dtype: 'F32', shape: [1e9, 1e9], data_offsets: [0, 4] } }, 4), 'needs');
      await st(header({ x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 2), 'covers 4 bytes');
      await st(header({ x: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8), 'back to back');
      await st(header({ x: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), 'invalid shape');
      await st(header({ x: { dtype: 'PICKLE', shape: [1], data_offsets: [0, 4] } }, 4), 'dtype');
      await st(header({ __metadata__: { a: 1 } }), 'not a string');
    });
  });

  describe('archives with path tricks', () => {
    const pkl = PickleBuilder.stateDict([validTensor]);
    const storage = f32Bytes([1, 2]);
    for (const name of ['../a/data.pkl', '/a/data.pkl', 'a/../../data.pkl', 'a\\data.pkl', 'C:/a/data.pkl', 'a//data.pkl', 'a/./data.pkl', 'a/data\u0000.pkl']) {
      it(`entry name ${JSON.stringify(name)}`, async () => {
        await refused(buildZip([{ name, data: pkl }, { name: 'a/data/0', data: storage }]), 'unsafe entry name');
      });
    }

    it('a storage entry name that escapes its archive', async () => {
      await refused(buildZip([{ name: 'a/data.pkl', data: pkl }, { name: 'a/data/../0', data: storage }]), 'unsafe entry name');
    });

    it('duplicate entries (two different data.pkl under one name)', async () => {
      const evil = callPickle('os', 'system');
      await refused(buildZip([{ name: 'a/data.pkl', data: pkl }, { name: 'a/data.pkl', data: evil }, { name: 'a/data/0', data: storage }]), 'appears twice');
    });

    it('a local header whose name differs from the central directory (hidden entry)', async () => {
      await refused(buildZip([{ name: 'a/data.pkl', data: pkl, localName: 'a/other.pkl' }, { name: 'a/data/0', data: storage }]), 'local header names');
    });

    it('two archives in one file, or none', async () => {
      const two = buildZip([{ name: 'a/data.pkl', data: pkl }, { name: 'b/data.pkl', data: pkl }, { name: 'a/data/0', data: storage }]);
      await refused(two, "expected one '<archive>/data.pkl', found 2");
      await refused(buildZip([{ name: 'readme.txt', data: Buffer.from('hi') }]), 'found 0');
    });
  });

  describe('object graphs that explode', () => {
    it('a list that contains itself, used as meta', async () => {
      const p = new PickleBuilder().proto(2).emptyDict().mark();
      p.str('meta').emptyDict().str('loop').emptyList().put(9).get(9).append().setitem();
      p.str('state_dict').orderedDict().mark().str('w').tensor(validTensor).setitems();
      await refused(buildZipPth(p.setitems().stop().bytes(), validStorage), 'contains itself');
    });

    it('nesting 100000 lists deep is refused, not a stack overflow', async () => {
      const p = new PickleBuilder().proto(2).emptyDict().mark().str('meta').emptyDict().str('deep');
      for (let i = 0; i < 100000; i++) p.emptyList();
      for (let i = 0; i < 99999; i++) p.append();
      p.setitem().str('state_dict').emptyDict().setitems().stop();
      await refused(buildZipPth(p.bytes(), {}), 'nested deeper');
    });

    it('a "billion laughs" meta (each level references the previous twice) loads in linear time', async () => {
      const p = new PickleBuilder().proto(2).emptyDict().mark().str('meta').emptyDict().str('laughs').emptyList().put(0).pop();
      for (let i = 1; i <= 60; i++) p.emptyList().get(i - 1).append().get(i - 1).append().put(i).pop();
      p.get(60).setitem().str('state_dict').emptyDict().setitems().stop();
      const t0 = Date.now();
      const { meta } = await loadCheckpoint(file(buildZipPth(p.bytes(), {})));
      expect(Date.now() - t0).to.be.lessThan(2000);
      expect(Array.isArray(meta.laughs)).to.equal(true);
    });

    it('meta keys named __proto__ stay plain entries (no prototype pollution)', async () => {
      const p = new PickleBuilder().proto(2).emptyDict().mark();
      p.str('meta').emptyDict().mark().str('__proto__').emptyDict().str('polluted').bool(true).setitem().str('x').emptyDict().str('__proto__').int(1).setitem().setitems();
      p.str('__proto__').none().str('state_dict').emptyDict().setitems().stop();
      const { meta } = await loadCheckpoint(file(buildZipPth(p.bytes(), {})));
      expect(Object.getPrototypeOf(meta)).to.equal(Object.prototype);
      expect(Object.keys(meta)).to.deep.equal(['__proto__', 'x']);
      expect((meta as Record<string, unknown>).polluted).to.equal(undefined);
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
      expect(Object.getPrototypeOf(meta.x)).to.equal(Object.prototype);
    });

    it('a dict keyed by a list', async () => {
      const p = new PickleBuilder().proto(2).emptyDict().emptyList().int(1).setitem().stop();
      await refused(buildZipPth(p.bytes(), {}), 'dict key of type list');
    });
  });
});
