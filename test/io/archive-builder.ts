import { crc32, deflateRawSync } from 'node:zlib';
import { le, PickleBuilder } from './pickle-builder';

/** Zip and legacy-.pth assemblers for tests, with knobs to produce broken or hostile files. */
export interface ZipEntrySpec {
  name: string;
  data: Uint8Array;
  deflate?: boolean;
  /** Name written in the local header (defaults to `name`). */
  localName?: string;
  /** Override the CRC written in both headers. */
  crc?: number;
  /** Override the uncompressed size written in the central directory. */
  declaredSize?: number;
}

export interface ZipOptions {
  /** Write zip64 structures (sizes and offsets in extra fields, zip64 end records). */
  zip64?: boolean;
}

export function buildZip(entries: readonly ZipEntrySpec[], opts: ZipOptions = {}): Uint8Array {
  const body: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let size = 0;
  const emit = (to: Uint8Array[], ...chunks: (number[] | Uint8Array)[]) => {
    for (const c of chunks) {
      const b = c instanceof Uint8Array ? c : Uint8Array.from(c);
      to.push(b);
      if (to === body) size += b.length;
    }
  };
  for (const e of entries) {
    const packed = e.deflate ? deflateRawSync(e.data) : e.data;
    const crc = le(BigInt(e.crc ?? crc32(e.data) >>> 0), 4);
    const offset = size;
    const localName = Buffer.from(e.localName ?? e.name, 'utf-8');
    const name = Buffer.from(e.name, 'utf-8');
    const method = e.deflate ? 8 : 0;
    const declared = e.declaredSize ?? e.data.length;
    // local header: signature, version, flags, method, time, date, crc, sizes, name and extra lengths
    emit(body, le(0x04034b50n, 4), [20, 0, 0, 0, method, 0, 0, 0, 0, 0], crc, le(BigInt(packed.length), 4), le(BigInt(e.data.length), 4));
    emit(body, le(BigInt(localName.length), 2), [0, 0], localName, packed);
    const extra = opts.zip64 ? [1, 0, 24, 0, ...le(BigInt(declared), 8), ...le(BigInt(packed.length), 8), ...le(BigInt(offset), 8)] : [];
    const sat = (v: number) => (opts.zip64 ? le(0xffffffffn, 4) : le(BigInt(v), 4));
    // central header: signature, made by, needed, flags, method, time, date, crc, sizes, lengths, disk, attributes, offset
    emit(central, le(0x02014b50n, 4), [45, 0, 45, 0, 0, 0, method, 0, 0, 0, 0, 0], crc, sat(packed.length), sat(declared));
    emit(central, le(BigInt(name.length), 2), le(BigInt(extra.length), 2), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], sat(offset), name, extra);
  }
  const cdOffset = size;
  const cdSize = central.reduce((n, c) => n + c.length, 0);
  emit(body, ...central);
  const n = BigInt(entries.length);
  if (opts.zip64) {
    const recAt = BigInt(size);
    emit(body, le(0x06064b50n, 4), le(44n, 8), [45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0], le(n, 8), le(n, 8), le(BigInt(cdSize), 8), le(BigInt(cdOffset), 8));
    emit(body, le(0x07064b50n, 4), [0, 0, 0, 0], le(recAt, 8), [1, 0, 0, 0]);
    emit(body, le(0x06054b50n, 4), [0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff], le(0xffffffffn, 4), le(0xffffffffn, 4), [0, 0]);
  } else {
    emit(body, le(0x06054b50n, 4), [0, 0, 0, 0], le(n, 2), le(n, 2), le(BigInt(cdSize), 4), le(BigInt(cdOffset), 4), [0, 0]);
  }
  return Buffer.concat(body);
}

/** A zip .pth: `<archive>/data.pkl`, `<archive>/data/<key>` and `<archive>/version`. */
export function buildZipPth(pickle: Uint8Array, storages: Record<string, Uint8Array>, opts: ZipOptions & { archive?: string; deflate?: boolean } = {}): Uint8Array {
  const a = opts.archive ?? 'archive';
  const entries: ZipEntrySpec[] = [{ name: `${a}/data.pkl`, data: pickle, deflate: opts.deflate }];
  for (const [k, v] of Object.entries(storages)) entries.push({ name: `${a}/data/${k}`, data: v, deflate: opts.deflate });
  entries.push({ name: `${a}/version`, data: Buffer.from('3\n') });
  return buildZip(entries, opts);
}

/** A legacy .pth: magic, protocol, sys info, the object pickle, the key list, then the storages. */
export function buildLegacyPth(objectPickle: Uint8Array, storages: { key: string; count: number; data: Uint8Array }[], head?: { magic?: Uint8Array; sysInfo?: Uint8Array }): Uint8Array {
  const magic = head?.magic ?? new PickleBuilder().proto(2).long(0x1950a86a20f9469cfc6cn).stop().bytes();
  const protocol = new PickleBuilder().proto(2).int(1001).stop().bytes();
  const sysInfo =
    head?.sysInfo ?? new PickleBuilder().proto(2).emptyDict().mark().str('protocol_version').int(1001).str('little_endian').bool(true).setitems().stop().bytes();
  const keys = new PickleBuilder().proto(2).emptyList().mark();
  for (const s of storages) keys.str(s.key);
  const parts: Uint8Array[] = [magic, protocol, sysInfo, objectPickle, keys.appends().stop().bytes()];
  for (const s of storages) parts.push(Uint8Array.from(le(BigInt(s.count), 8)), s.data);
  return Buffer.concat(parts);
}
