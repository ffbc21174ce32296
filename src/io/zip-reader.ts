import { crc32, inflateRawSync } from 'node:zlib';
import { FileError } from '../core/errors';
import type { ByteSource } from './byte-source';
import { quoted } from './quote';

/**
 * A read-only zip reader for PyTorch's zip checkpoints: central directory (zip64 included),
 * stored and deflated entries, CRC checks. It never writes entries anywhere, yet still refuses
 * names with path tricks (absolute, `..`, backslashes, duplicates) so that an entry can only be
 * found under the one name a well-formed archive gives it.
 */
export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly crc: number;
  readonly localHeaderOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
const STORED = 0;
const DEFLATED = 8;
/** Deflate cannot expand data more than ~1032:1; a larger declared size is a zip bomb or a lie. */
const MAX_DEFLATE_RATIO = 1100;

export class ZipArchive {
  private readonly dataOffsets = new Map<string, number>();
  /** Inflated deflate entries, so that many tensors on one storage inflate it once. */
  private readonly inflated = new Map<string, Uint8Array>();

  private constructor(
    private readonly src: ByteSource,
    readonly entries: ReadonlyMap<string, ZipEntry>,
    private readonly centralDirOffset: number,
  ) {}

  static async open(src: ByteSource): Promise<ZipArchive> {
    const reader = new CentralDirectoryReader(src);
    const { entries, cdOffset } = await reader.read();
    return new ZipArchive(src, entries, cdOffset);
  }

  /** The whole (inflated) content of an entry, CRC-checked. */
  async read(entry: ZipEntry): Promise<Uint8Array> {
    const start = await this.dataOffset(entry);
    const raw = await this.src.read(start, entry.compressedSize);
    const data = entry.method === STORED ? raw : this.inflate(entry, raw);
    if (crc32(data) >>> 0 !== entry.crc) this.corrupt(`entry ${quoted(entry.name)} fails its CRC check`);
    return data;
  }

  /**
   * `length` bytes at `offset` inside a stored entry, read directly from the file (no copy of
   * the whole entry). A read of the whole entry is CRC-checked.
   */
  async readRange(entry: ZipEntry, offset: number, length: number): Promise<Uint8Array> {
    if (offset < 0 || length < 0 || offset + length > entry.size) {
      this.corrupt(`bytes ${offset}..${offset + length} requested from entry ${quoted(entry.name)} of ${entry.size} bytes`);
    }
    if (entry.method !== STORED) {
      let all = this.inflated.get(entry.name);
      if (!all) {
        all = await this.read(entry);
        this.inflated.set(entry.name, all);
      }
      return all.subarray(offset, offset + length);
    }
    if (offset === 0 && length === entry.size) return this.read(entry);
    return this.src.read((await this.dataOffset(entry)) + offset, length);
  }

  private inflate(entry: ZipEntry, raw: Uint8Array): Uint8Array {
    if (entry.size > raw.length * MAX_DEFLATE_RATIO + 1024) {
      this.corrupt(`entry ${quoted(entry.name)} claims to inflate ${raw.length} bytes to ${entry.size}`);
    }
    let out: Buffer;
    try {
      out = inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) });
    } catch {
      return this.corrupt(`entry ${quoted(entry.name)} is not valid deflate data or inflates beyond its declared ${entry.size} bytes`);
    }
    if (out.length !== entry.size) this.corrupt(`entry ${quoted(entry.name)} inflates to ${out.length} bytes, declared ${entry.size}`);
    return out;
  }

  /** Where an entry's data starts: after its local header, whose name must match the central one. */
  private async dataOffset(entry: ZipEntry): Promise<number> {
    const known = this.dataOffsets.get(entry.name);
    if (known !== undefined) return known;
    const at = entry.localHeaderOffset;
    if (at + 30 > this.centralDirOffset) this.corrupt(`local header of ${quoted(entry.name)} lies outside the entry area`);
    const h = view(await this.src.read(at, 30));
    if (h.getUint32(0, true) !== SIG_LOCAL) this.corrupt(`no local header for ${quoted(entry.name)} at byte ${at}`);
    const nameLen = h.getUint16(26, true);
    const extraLen = h.getUint16(28, true);
    const name = decodeName(await this.src.read(at + 30, nameLen));
    if (name !== entry.name) this.corrupt(`local header names ${quoted(name)} where the directory names ${quoted(entry.name)}`);
    const start = at + 30 + nameLen + extraLen;
    if (start + entry.compressedSize > this.centralDirOffset) this.corrupt(`data of ${quoted(entry.name)} runs into the central directory`);
    this.dataOffsets.set(entry.name, start);
    return start;
  }

  private corrupt(detail: string): never {
    throw new FileError(this.src.name, `corrupt zip checkpoint: ${detail}`);
  }
}

class CentralDirectoryReader {
  constructor(private readonly src: ByteSource) {}

  async read(): Promise<{ entries: Map<string, ZipEntry>; cdOffset: number }> {
    const { count, cdSize, cdOffset } = await this.findDirectory();
    if (cdOffset + cdSize > this.src.size) this.corrupt('central directory lies outside the file');
    if (count * 46 > cdSize) this.corrupt(`${count} entries cannot fit in a ${cdSize}-byte central directory`);
    const cd = await this.src.read(cdOffset, cdSize);
    const dv = view(cd);
    const entries = new Map<string, ZipEntry>();
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cd.length || dv.getUint32(p, true) !== SIG_CENTRAL) this.corrupt(`central directory entry ${i} is damaged`);
      const nameLen = dv.getUint16(p + 28, true);
      const extraLen = dv.getUint16(p + 30, true);
      const commentLen = dv.getUint16(p + 32, true);
      const end = p + 46 + nameLen + extraLen + commentLen;
      if (end > cd.length) this.corrupt(`central directory entry ${i} is truncated`);
      const entry = this.parseEntry(dv, p, cd.subarray(p + 46, p + 46 + nameLen), cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen));
      if (entries.has(entry.name)) this.corrupt(`entry ${quoted(entry.name)} appears twice`);
      if (entry.localHeaderOffset >= cdOffset) this.corrupt(`entry ${quoted(entry.name)} points past the entry area`);
      entries.set(entry.name, entry);
      p = end;
    }
    return { entries, cdOffset };
  }

  private parseEntry(dv: DataView, p: number, nameBytes: Uint8Array, extra: Uint8Array): ZipEntry {
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    const name = checkName(decodeName(nameBytes), (d) => this.corrupt(d));
    if (flags & 0x1) this.refuse(`entry ${quoted(name)} is encrypted`);
    if (method !== STORED && method !== DEFLATED) this.refuse(`entry ${quoted(name)} uses compression method ${method} (only stored and deflate are supported)`);
    let compressedSize = dv.getUint32(p + 20, true);
    let size = dv.getUint32(p + 24, true);
    let localHeaderOffset = dv.getUint32(p + 42, true);
    if (size === 0xffffffff || compressedSize === 0xffffffff || localHeaderOffset === 0xffffffff) {
      // zip64: the 64-bit values follow in the 0x0001 extra field, only for fields saturated above
      const z = this.zip64Extra(extra, name);
      if (size === 0xffffffff) size = z.next();
      if (compressedSize === 0xffffffff) compressedSize = z.next();
      if (localHeaderOffset === 0xffffffff) localHeaderOffset = z.next();
    }
    if (method === STORED && compressedSize !== size) this.corrupt(`stored entry ${quoted(name)} has different packed and unpacked sizes`);
    return { name, method, compressedSize, size, crc: dv.getUint32(p + 16, true), localHeaderOffset };
  }

  private zip64Extra(extra: Uint8Array, name: string): { next(): number } {
    const dv = view(extra);
    for (let p = 0; p + 4 <= extra.length; ) {
      const id = dv.getUint16(p, true);
      const len = dv.getUint16(p + 2, true);
      if (p + 4 + len > extra.length) break;
      if (id === 0x0001) {
        let q = p + 4;
        const end = q + len;
        return {
          next: () => {
            if (q + 8 > end) this.corrupt(`zip64 field of ${quoted(name)} is too short`);
            const v = this.safe(dv.getBigUint64(q, true), `zip64 size of ${quoted(name)}`);
            q += 8;
            return v;
          },
        };
      }
      p += 4 + len;
    }
    return this.corrupt(`entry ${quoted(name)} needs a zip64 field but has none`);
  }

  private async findDirectory(): Promise<{ count: number; cdSize: number; cdOffset: number }> {
    const size = this.src.size;
    const tailLen = Math.min(size, 22 + 0xffff);
    const tail = await this.src.read(size - tailLen, tailLen);
    const dv = view(tail);
    // the record is 22 bytes plus a comment that must reach exactly to the end of the file
    let at = -1;
    for (let p = tail.length - 22; p >= 0; p--) {
      if (dv.getUint32(p, true) === SIG_EOCD && p + 22 + dv.getUint16(p + 20, true) === tail.length) {
        at = p;
        break;
      }
    }
    if (at < 0) this.corrupt('no end-of-central-directory record (truncated file?)');
    if (dv.getUint16(at + 4, true) !== 0 || dv.getUint16(at + 6, true) !== 0) this.refuse('multi-part archives are not supported');
    const count = dv.getUint16(at + 10, true);
    const cdSize = dv.getUint32(at + 12, true);
    const cdOffset = dv.getUint32(at + 16, true);
    if (count !== 0xffff && cdSize !== 0xffffffff && cdOffset !== 0xffffffff) return { count, cdSize, cdOffset };
    return this.findZip64Directory(size - tailLen + at);
  }

  private async findZip64Directory(eocdAt: number): Promise<{ count: number; cdSize: number; cdOffset: number }> {
    if (eocdAt < 20) this.corrupt('zip64 locator missing');
    const loc = view(await this.src.read(eocdAt - 20, 20));
    if (loc.getUint32(0, true) !== SIG_ZIP64_LOCATOR) this.corrupt('zip64 locator missing');
    const recAt = this.safe(loc.getBigUint64(8, true), 'zip64 record offset');
    if (recAt + 56 > eocdAt - 20) this.corrupt('zip64 record lies outside the file');
    const rec = view(await this.src.read(recAt, 56));
    if (rec.getUint32(0, true) !== SIG_ZIP64_EOCD) this.corrupt('zip64 end-of-central-directory record missing');
    return {
      count: this.safe(rec.getBigUint64(32, true), 'zip64 entry count'),
      cdSize: this.safe(rec.getBigUint64(40, true), 'zip64 directory size'),
      cdOffset: this.safe(rec.getBigUint64(48, true), 'zip64 directory offset'),
    };
  }

  /** A 64-bit value that can still describe a position in this file. */
  private safe(v: bigint, what: string): number {
    if (v > BigInt(this.src.size)) this.corrupt(`${what} ${v} exceeds the file size ${this.src.size}`);
    return Number(v);
  }

  private refuse(detail: string): never {
    throw new FileError(this.src.name, `unsupported zip checkpoint: ${detail}`);
  }

  private corrupt(detail: string): never {
    throw new FileError(this.src.name, `corrupt zip checkpoint: ${detail}`);
  }
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function decodeName(b: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    return Buffer.from(b).toString('latin1');
  }
}

/** Entry names are relative paths of plain components: no root, no `..`, no drive, no backslash. */
function checkName(name: string, corrupt: (d: string) => never): string {
  if (name.length === 0 || /[\u0000-\u001f\\]/.test(name) || /^[A-Za-z]:/.test(name) || name.startsWith('/')) {
    corrupt(`unsafe entry name ${quoted(name)}`);
  }
  const parts = name.split('/');
  if (parts.some((s, i) => s === '..' || s === '.' || (s === '' && i !== parts.length - 1))) corrupt(`unsafe entry name ${quoted(name)}`);
  return name;
}
