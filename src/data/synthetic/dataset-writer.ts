import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../../core/errors';
import { Random } from '../../core/random';
import { writeFileAtomic } from '../../io/atomic-write';
import type { Progress } from '../../registry/services';
import { encodeImage, formatOfPath } from '../image-io/encode-image';
import type { HwcImage } from '../image-io/image';

export const SPLITS = ['train', 'val'] as const;
export type Split = (typeof SPLITS)[number];

/** What one image of a synthetic set produces: image files, and the record its annotation files are made of. */
export interface SyntheticSample<R> {
  files: { path: string; image: HwcImage }[];
  record: R;
}

/** A synthetic dataset kind: how to draw image `index` of a split, and the annotation files of a split. */
export interface SyntheticTask<R> {
  readonly name: string;
  readonly defaultSize: readonly [number, number];
  readonly defaultCounts: Readonly<Record<Split, number>>;
  /** Top-level files and folders this task writes (cleared before a regeneration). */
  readonly outputs: readonly string[];
  sample(rng: Random, split: Split, index: number, height: number, width: number): SyntheticSample<R>;
  /** Annotation files of a split (path under the dataset folder → content). */
  annotations(split: Split, records: R[], height: number, width: number): Record<string, string>;
}

export interface WriteOptions {
  out: string;
  counts: Record<Split, number>;
  seed: number;
  size: readonly [number, number];
  progress?: Progress;
}

export interface WriteResult {
  out: string;
  /** The folder already held this very dataset, complete: nothing was written. */
  upToDate: boolean;
  images: number;
  annotationFiles: string[];
}

/** Name of the file that says what a folder holds; written first (incomplete) and last (complete). */
export const MANIFEST = 'synthetic.json';
/** Bump when the drawings change, so that an older set with the same options is regenerated. */
export const GENERATOR_VERSION = 1;
/** Images encoded and written while the next ones are drawn (sharp encodes off the main thread). */
const IN_FLIGHT = 6;

/**
 * Write a synthetic dataset. Every file is written atomically and the manifest last, so a
 * killed run never leaves a torn file, and a folder whose manifest says `complete` holds the
 * whole set. A run over a complete set with the same options (and generator version) is a
 * no-op; over an incomplete or different one it clears what that set wrote and starts again.
 * Image `i` of a split is drawn from its own stream of the seed (named by task, split and
 * index), so the same options give byte-identical files.
 */
export async function writeSyntheticDataset<R>(task: SyntheticTask<R>, opts: WriteOptions): Promise<WriteResult> {
  const [height, width] = opts.size;
  const params = { task: task.name, generator_version: GENERATOR_VERSION, seed: opts.seed, size: [height, width], train: opts.counts.train, val: opts.counts.val };
  const previous = await readManifest(opts.out);
  if (previous?.complete && sameParams(previous, params)) return { out: opts.out, upToDate: true, images: 0, annotationFiles: [] };
  if (previous) {
    for (const entry of task.outputs) await fsp.rm(join(opts.out, entry), { recursive: true, force: true });
  } else if (await nonEmptyDir(opts.out)) {
    throw new UserError(`${opts.out} is not empty and holds no ${MANIFEST}: it is not a synthetic set hrdet wrote; choose another --out or empty it`);
  }
  await fsp.mkdir(opts.out, { recursive: true });
  await writeJson(join(opts.out, MANIFEST), { ...params, complete: false });

  const annotationFiles: string[] = [];
  let images = 0;
  // each task its own streams, so that det and pose sets of one seed do not share backgrounds
  const taskKey = fnv1a(task.name);
  for (const [splitIndex, split] of SPLITS.entries()) {
    const n = opts.counts[split];
    const bar = opts.progress?.start(`${task.name} ${split}`, n);
    const records: R[] = [];
    const pending: Promise<void>[] = [];
    const made = new Set<string>();
    try {
      for (let i = 0; i < n; i++) {
        const { files, record } = task.sample(Random.derive(opts.seed, taskKey, splitIndex, i), split, i, height, width);
        records.push(record);
        for (const f of files) {
          const dir = dirname(join(opts.out, f.path));
          if (!made.has(dir)) {
            await fsp.mkdir(dir, { recursive: true });
            made.add(dir);
          }
        }
        const written = writeImages(opts.out, files).then(() => bar?.tick());
        written.catch(() => undefined); // awaited below; this only keeps a failure from counting as unhandled meanwhile
        pending.push(written);
        if (pending.length >= IN_FLIGHT) await pending.shift();
        images += files.length;
      }
      await Promise.all(pending);
    } finally {
      bar?.stop();
    }
    for (const [path, content] of Object.entries(task.annotations(split, records, height, width))) {
      await fsp.mkdir(dirname(join(opts.out, path)), { recursive: true });
      await writeFileAtomic(join(opts.out, path), (w) => w.write(Buffer.from(content)));
      annotationFiles.push(path);
    }
  }
  await writeJson(join(opts.out, MANIFEST), { ...params, complete: true });
  return { out: opts.out, upToDate: false, images, annotationFiles };
}

/** FNV-1a hash of a string (32-bit). */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

async function writeImages(root: string, files: SyntheticSample<unknown>['files']): Promise<void> {
  for (const f of files) {
    const bytes = await encodeImage(f.image, formatOfPath(f.path), { quality: 90 });
    await writeFileAtomic(join(root, f.path), (w) => w.write(bytes));
  }
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, (w) => w.write(Buffer.from(`${JSON.stringify(value, null, 1)}\n`)));
}

type Manifest = Record<string, unknown> & { complete?: boolean };

async function readManifest(out: string): Promise<Manifest | null> {
  let text: string;
  try {
    text = await fsp.readFile(join(out, MANIFEST), 'utf8');
  } catch {
    return null;
  }
  try {
    return JSON.parse(text) as Manifest;
  } catch {
    // torn by hand or by another program: treat it as an incomplete set of ours
    return {};
  }
}

function sameParams(m: Manifest, params: Record<string, unknown>): boolean {
  return Object.entries(params).every(([k, v]) => JSON.stringify(m[k]) === JSON.stringify(v));
}

async function nonEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await fsp.readdir(dir)).length > 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') throw new UserError(`${dir} is a file, not a folder: choose another --out`);
    throw e;
  }
}
