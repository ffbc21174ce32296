import { crc32 } from 'node:zlib';
import { UserError } from '../core/errors';
import type { SequentialWriter } from './atomic-write';

interface Written {
  name: Buffer;
  crc: number;
  size: number;
  offset: number;
}

/** Data starts at multiples of this, as torch.save aligns them (so storages can be mapped). */
const ALIGN = 64;
const LIMIT = 0xffffffff;

/**
 * A zip archive of stored (uncompressed) entries written front to back, the way PyTorch's
 * PyTorchStreamWriter lays out a `.pth`: each entry's data aligned to 64 bytes by padding its
 * local header's extra field, then the central directory. No zip64: an archive past 4 GiB is
 * refused.
 */
export class ZipWriter {
  private readonly written: Written[] = [];

  constructor(private readonly out: SequentialWriter) {}

  async add(name: string, data: Uint8Array): Promise<void> {
    const nameBytes = Buffer.from(name, 'utf-8');
    const offset = this.out.bytesWritten;
    const pad = (ALIGN - ((offset + 30 + nameBytes.length + 4) % ALIGN)) % ALIGN;
    const extra = Buffer.alloc(4 + pad);
    extra.writeUInt16LE(0x4246, 0); // 'FB', PyTorch's padding record
    extra.writeUInt16LE(pad, 2);
    const crc = crc32(data) >>> 0;
    if (offset + 30 + nameBytes.length + extra.length + data.length > LIMIT) {
      throw new UserError(`checkpoint entry '${name}' would end past 4 GiB, which this writer does not support (no zip64)`);
    }
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0);
    head.writeUInt16LE(20, 4); // version needed
    head.writeUInt32LE(crc, 14);
    head.writeUInt32LE(data.length, 18);
    head.writeUInt32LE(data.length, 22);
    head.writeUInt16LE(nameBytes.length, 26);
    head.writeUInt16LE(extra.length, 28);
    await this.out.write(head);
    await this.out.write(nameBytes);
    await this.out.write(extra);
    await this.out.write(data);
    this.written.push({ name: nameBytes, crc, size: data.length, offset });
  }

  async finish(): Promise<void> {
    const start = this.out.bytesWritten;
    for (const e of this.written) {
      const h = Buffer.alloc(46);
      h.writeUInt32LE(0x02014b50, 0);
      h.writeUInt16LE(20, 4); // made by
      h.writeUInt16LE(20, 6); // needed
      h.writeUInt32LE(e.crc, 16);
      h.writeUInt32LE(e.size, 20);
      h.writeUInt32LE(e.size, 24);
      h.writeUInt16LE(e.name.length, 28);
      h.writeUInt32LE(e.offset, 42);
      await this.out.write(h);
      await this.out.write(e.name);
    }
    const size = this.out.bytesWritten - start;
    if (this.out.bytesWritten > LIMIT) throw new UserError('checkpoint would be larger than 4 GiB, which this writer does not support (no zip64)');
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(this.written.length, 8);
    end.writeUInt16LE(this.written.length, 10);
    end.writeUInt32LE(size, 12);
    end.writeUInt32LE(start, 16);
    await this.out.write(end);
  }
}
