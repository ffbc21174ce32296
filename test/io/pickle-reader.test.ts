import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FileError } from '../../src/core/errors';
import { plainDataPolicy, unpickle } from '../../src/io/pickle-reader';
import { PyDict, PyTuple, toPlain } from '../../src/io/py-value';
import { PickleBuilder } from './pickle-builder';

/** Pickles written by CPython at every protocol (test/fixtures/io/make_pickle_fixtures.py). */
const PICKLES = JSON.parse(readFileSync(join(resolve(__dirname, '../../../test/fixtures/io'), 'pickles.json'), 'utf-8')) as Record<string, string>;

describe('io: restricted unpickler on CPython pickles', () => {
  for (const [protocol, b64] of Object.entries(PICKLES)) {
    it(`protocol ${protocol}: numbers, strings, containers, shared references`, () => {
      const bytes = Buffer.from(b64, 'base64');
      const { value, end } = unpickle(bytes, 0, 'p.pkl', plainDataPolicy('p.pkl'));
      expect(end).to.equal(bytes.length);
      const d = value as PyDict;
      expect(d).to.be.instanceOf(PyDict);
      const keys = [...d.entries.keys()];
      expect(keys.slice(0, 14)).to.deep.equal(['a', 'neg', 'i32', 'big', 'negbig', 'f', 'e', 's', 'u', 'l', 't', 'nested', 'shared', 1]);
      expect(d.entries.get('t')).to.be.instanceOf(PyTuple);
      const shared = d.entries.get('shared') as unknown[];
      expect(shared[0]).to.equal(shared[1]); // one list referenced twice, as pickled
      const expected: Record<string, unknown> = {
        a: 1, neg: -7, i32: -(2 ** 31), big: 2n ** 70n, negbig: -(2n ** 65n),
        f: 0.1, e: -1.5e-300,
        s: 'h\u00e9llo\n"q"\\', u: '\u65e5\u672c',
        l: [1, 2.5, null, true, false],
        t: [1, [2, 3], []],
        nested: { k: [{ x: 1 }] },
        shared: [[1], [1]],
        1: 'one',
      };
      if (Number(protocol) >= 3) expected.bytes = Uint8Array.from([0, 255]);
      const plain = toPlain(value) as Record<string, unknown>;
      if (plain.bytes) plain.bytes = Uint8Array.from(plain.bytes as Uint8Array);
      expect(plain).to.deep.equal(expected);
    });
  }

  it('protocol-2 bytes (pickled through _codecs.encode) are refused like any other call', () => {
    const p = new PickleBuilder().proto(2).global('_codecs', 'encode').str('abc').str('latin1').tuple2().reduce().stop().bytes();
    expect(() => unpickle(p, 0, 'p.pkl', plainDataPolicy('p.pkl'))).to.throw(FileError, "'_codecs.encode'");
  });

  it('a sequence of pickles is read one after the other (legacy .pth layout)', () => {
    const a = new PickleBuilder().proto(2).int(1001).stop().bytes();
    const b = new PickleBuilder().proto(2).str('x').stop().bytes();
    const both = Buffer.concat([a, b]);
    const first = unpickle(both, 0, 'p', plainDataPolicy('p'));
    expect(first).to.deep.equal({ value: 1001, end: a.length });
    expect(unpickle(both, first.end, 'p', plainDataPolicy('p')).value).to.equal('x');
  });

  it('POP, POP_MARK and DUP follow CPython', () => {
    const p = new PickleBuilder().proto(2).mark().int(1).int(2).raw(0x31).int(3).raw(0x32).pop().stop().bytes();
    expect(unpickle(p, 0, 'p', plainDataPolicy('p')).value).to.equal(3);
  });
});
