import { promises as fsp } from 'node:fs';
import { FileError } from '../core/errors';

/**
 * Random access to the bytes of a file (or of an in-memory copy), so that checkpoint readers
 * fetch only what they need and never trust a size they have not checked against `size`.
 */
export interface ByteSource {
  /** Name used in error messages (the path). */
  readonly name: string;
  readonly size: number;
  /** Exactly `length` bytes at `offset` (read-only: may share memory with other reads); a range outside the file is a FileError. */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Refuse a byte range that does not lie inside a source of `size` bytes. */
export function checkRange(name: string, size: number, offset: number, length: number, what: string): void {
  const ok = Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0 && offset + length <= size;
  if (!ok) {
    throw new FileError(name, `corrupt file: ${what} (bytes ${offset}..${offset + length}) lies outside the file (${size} bytes)`);
  }
}

export class BufferSource implements ByteSource {
  constructor(
    readonly name: string,
    private readonly bytes: Uint8Array,
  ) {}

  get size(): number {
    return this.bytes.length;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this.name, this.size, offset, length, 'a read');
    return this.bytes.subarray(offset, offset + length);
  }

  async close(): Promise<void> {}
}

/** Reads up to this size are served from a read-ahead window (checkpoints hold many small tensors). */
const SMALL_READ = 256 * 1024;
const WINDOW = 4 * 1024 * 1024;

export class FileSource implements ByteSource {
  private window: { start: number; bytes: Uint8Array } | null = null;

  private constructor(
    readonly name: string,
    readonly size: number,
    private readonly handle: fsp.FileHandle,
  ) {}

  /** Open `path` for reading; a missing or unreadable file is a one-line FileError. */
  static async open(path: string): Promise<FileSource> {
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(path, 'r');
    } catch (e) {
      throw new FileError(path, describeOpenError(e));
    }
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw new FileError(path, 'not a regular file');
      return new FileSource(path, st.size, handle);
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  /** The returned bytes may be shared with later reads: callers copy before they modify. */
  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this.name, this.size, offset, length, 'a read');
    if (length > SMALL_READ) return this.readDirect(offset, length);
    const w = this.window;
    if (!w || offset < w.start || offset + length > w.start + w.bytes.length) {
      // a fresh buffer each time: views handed out earlier stay valid
      this.window = { start: offset, bytes: await this.readDirect(offset, Math.min(WINDOW, this.size - offset)) };
    }
    const start = offset - this.window!.start;
    return this.window!.bytes.subarray(start, start + length);
  }

  private async readDirect(offset: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    let done = 0;
    // read() may return fewer bytes than asked (large ranges), so loop until the range is filled
    while (done < length) {
      const { bytesRead } = await this.handle.read(out, done, length - done, offset + done);
      if (bytesRead === 0) throw new FileError(this.name, 'file shrank while it was being read');
      done += bytesRead;
    }
    return out;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

function describeOpenError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory, expected a file';
  return `cannot open (${code ?? String(e)})`;
}

/** Run `fn` on an opened file source and close it afterwards, whatever happens. */
export async function withFileSource<T>(path: string, fn: (src: ByteSource) => Promise<T>): Promise<T> {
  const src = await FileSource.open(path);
  try {
    return await fn(src);
  } finally {
    await src.close();
  }
}
