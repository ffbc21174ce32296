import { promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { FileError } from '../core/errors';

/**
 * Write a file so that readers (and a resumed run after a crash) see either the old content or
 * the complete new one, never a torn file: write a temporary file in the same directory (same
 * file system, so rename is atomic), fsync it, rename it over `path`, then fsync the directory
 * so the rename itself survives a power loss.
 */
export async function writeFileAtomic(path: string, write: (out: SequentialWriter) => Promise<void>): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(tmp, 'wx', 0o644);
  } catch (e) {
    throw new FileError(path, `cannot write: ${describeWriteError(e, dir)}`);
  }
  let renamed = false;
  try {
    await write(new SequentialWriter(handle));
    await handle.sync();
    await handle.close();
    await fsp.rename(tmp, path);
    renamed = true;
    await syncDirectory(dir);
  } catch (e) {
    if (!renamed) {
      await handle.close().catch(() => undefined);
      await fsp.unlink(tmp).catch(() => undefined);
    }
    if (e instanceof FileError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code) throw new FileError(path, `cannot write: ${describeWriteError(e, dir)}`);
    throw e;
  }
}

/** Appends byte chunks to an open file, looping over short writes. */
export class SequentialWriter {
  private position = 0;

  constructor(private readonly handle: fsp.FileHandle) {}

  get bytesWritten(): number {
    return this.position;
  }

  async write(chunk: Uint8Array): Promise<void> {
    let done = 0;
    while (done < chunk.length) {
      const { bytesWritten } = await this.handle.write(chunk, done, chunk.length - done, this.position);
      done += bytesWritten;
      this.position += bytesWritten;
    }
  }
}

async function syncDirectory(dir: string): Promise<void> {
  // not every platform lets a directory be opened and fsynced (Windows); the rename is done either way
  try {
    const h = await fsp.open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    /* best effort */
  }
}

function describeWriteError(e: unknown, dir: string): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `directory ${dir} does not exist`;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOSPC') return 'no space left on device';
  if (code === 'EISDIR') return 'is a directory';
  return String((e as Error).message ?? e);
}

/** The temporary names writeFileAtomic uses: `.<name>.<pid>.<12 hex>.tmp`. */
const TEMPORARY = /^\.(.+)\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/**
 * Delete the temporaries that writers killed mid-write left in `dir` (their process is gone);
 * a live process's are left alone. Returns the names removed.
 */
export async function removeStaleTemporaries(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    const m = TEMPORARY.exec(n);
    if (!m || isAlive(Number(m[2]))) continue;
    await fsp.rm(join(dir, n), { force: true });
    removed.push(n);
  }
  return removed;
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
