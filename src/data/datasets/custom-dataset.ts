import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { FileError } from '../../core/errors';
import { DATASETS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { buildPipeline } from '../transforms/compose';
import type { Results } from '../transforms/results';
import { BaseDataset, baseDatasetOptions, type BaseDatasetConfig } from './base-dataset';
import { isDir, listFiles } from './list-files';

export const CUSTOM_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif'] as const;

export const customDatasetSchema = z
  .object({
    ...baseDatasetOptions,
    data_root: z.string().default(''),
    /** A folder, or mmpretrain's `{img_path}`. */
    data_prefix: z.union([z.string(), z.object({ img_path: z.string().default('') }).strict()]).default(''),
    with_label: z.boolean().default(true),
    extensions: z.array(z.string().min(1)).min(1).default([...CUSTOM_EXTENSIONS]),
    /** Class names, or a text file of them (one a line); merged under `metainfo.classes`. */
    classes: z.union([z.string(), z.array(z.string())]).nullable().default(null),
  })
  .strict();
export type CustomDatasetOptions = z.output<typeof customDatasetSchema>;

/** One image's data info as mmpretrain's CustomDataset makes it. */
export interface ClsDataInfo extends Results {
  img_path: string;
  gt_label?: number;
}

export interface CustomDatasetConfig extends BaseDatasetConfig {
  with_label: boolean;
  extensions: readonly string[];
  classes: readonly string[] | null;
}

/**
 * mmpretrain's CustomDataset. Without `ann_file`: with `with_label`, the sorted sub-folders of
 * the image prefix are the classes (label = position among them; `metainfo.classes`, when given,
 * must have as many names) and every file under each (recursively, sorted) whose lower-cased name
 * ends in one of `extensions` is a sample; without labels every such file under the prefix. With
 * `ann_file`: one sample a line, `<path> <label>` (split at the last space) or just `<path>`
 * without labels, paths relative to the image prefix; blank lines are skipped. Labels outside the
 * known classes and malformed lines are a FileError naming the line.
 */
export class CustomDataset extends BaseDataset<ClsDataInfo> {
  private classes: readonly string[] | null;
  private readonly custom: CustomDatasetConfig;

  constructor(cfg: CustomDatasetConfig) {
    super({ ...cfg, lazy_init: true });
    this.custom = cfg;
    this.classes = cfg.classes;
    if (!cfg.lazy_init) this.fullInit();
  }

  get metainfo(): Record<string, unknown> {
    return { ...this.cfg.metainfo, ...(this.classes ? { classes: this.classes } : {}) };
  }

  protected loadDataList(): ClsDataInfo[] {
    if (!this.cfg.ann_file) return this.findSamples();
    return this.custom.with_label ? this.labelledLines() : this.lines().map(({ text }) => ({ img_path: join(this.imgPrefix, text) }));
  }

  private findSamples(): ClsDataInfo[] {
    const root = this.imgPrefix;
    if (!isDir(root)) throw new FileError(root || '.', 'image folder (data_prefix) not found');
    const valid = (f: string) => this.custom.extensions.some((e) => f.toLowerCase().endsWith(e.toLowerCase()));
    let samples: ClsDataInfo[];
    if (this.custom.with_label) {
      const folders = readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory() || (e.isSymbolicLink() && isDir(join(root, e.name)))).map((e) => e.name).sort();
      if (this.classes && this.classes.length !== folders.length) {
        throw new FileError(root, `has ${folders.length} class folders but ${this.classes.length} classes are given (metainfo.classes / classes)`);
      }
      this.classes ??= folders;
      samples = folders.flatMap((folder, label) =>
        listFiles(join(root, folder)).sort().filter(valid).map((f) => ({ img_path: join(root, folder, f), gt_label: label })),
      );
    } else {
      samples = listFiles(root).sort().filter(valid).map((f) => ({ img_path: join(root, f) }));
    }
    if (samples.length === 0) throw new FileError(root, `found no files in ${this.custom.with_label ? 'its sub-folders' : 'it'}; supported extensions are ${this.custom.extensions.join(', ')}`);
    return samples;
  }

  private labelledLines(): ClsDataInfo[] {
    const n = this.classes?.length;
    return this.lines().map(({ text, line }) => {
      const cut = text.lastIndexOf(' ');
      const label = cut > 0 ? Number(text.slice(cut + 1)) : NaN;
      if (!Number.isInteger(label) || label < 0) throw new FileError(this.annFile, `line ${line}: expected '<path> <label>' with a label >= 0, got '${text}'`);
      if (n !== undefined && label >= n) throw new FileError(this.annFile, `line ${line}: label ${label} is outside the ${n} classes`);
      return { img_path: join(this.imgPrefix, text.slice(0, cut)), gt_label: label };
    });
  }

  private lines(): { text: string; line: number }[] {
    let text: string;
    try {
      text = readFileSync(this.annFile, 'utf8');
    } catch (e) {
      throw new FileError(this.annFile, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'ann_file not found' : `cannot read: ${(e as Error).message}`);
    }
    const out = text.split(/\r?\n/).map((l, i) => ({ text: l.trim(), line: i + 1 })).filter((l) => l.text);
    if (out.length === 0) throw new FileError(this.annFile, 'ann_file lists no samples');
    return out;
  }
}



/** The class names of `classes` (a list, or a file read relative to the working folder as mmpretrain) over metainfo's. */
function classNames(o: CustomDatasetOptions, ctx: BuildContext): readonly string[] | null {
  const fromMeta = o.metainfo?.classes;
  if (fromMeta !== undefined) {
    if (!Array.isArray(fromMeta) || !fromMeta.every((c) => typeof c === 'string')) throw ctx.error('metainfo.classes', 'expected a list of class names');
    return fromMeta;
  }
  if (o.classes === null) return null;
  if (Array.isArray(o.classes)) return o.classes;
  try {
    return readFileSync(o.classes, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l);
  } catch (e) {
    throw ctx.error('classes', `cannot read the class file ${o.classes} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

DATASETS.register(
  customDatasetSchema,
  (o: CustomDatasetOptions, ctx: BuildContext) => {
    const prefix = typeof o.data_prefix === 'string' ? o.data_prefix : o.data_prefix.img_path;
    if (!o.ann_file && !prefix && !o.data_root) throw ctx.error('data_prefix', 'one of ann_file, data_root and data_prefix must be given');
    const cfg: CustomDatasetConfig = {
      ...o,
      data_root: o.data_root || null,
      data_prefix: { img: prefix },
      classes: classNames(o, ctx),
      pipeline: buildPipeline(o.pipeline, ctx),
    };
    return new CustomDataset(cfg);
  },
  { name: 'CustomDataset', summary: "mmpretrain's CustomDataset: class sub-folders or an ann_file of '<path> <label>' lines" },
);
