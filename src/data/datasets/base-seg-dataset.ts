import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { z } from 'zod';
import { ConfigError, FileError } from '../../core/errors';
import { DATASETS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { buildPipeline } from '../transforms/compose';
import type { Results } from '../transforms/results';
import { BaseDataset, baseDatasetOptions, type BaseDatasetConfig } from './base-dataset';
import { mmsegRandomPalette } from './numpy-palette';
import { isDir, listFiles } from './list-files';

const rgb = z.array(z.number().int().min(0).max(255)).length(3);

export const baseSegDatasetSchema = z
  .object({
    ...baseDatasetOptions,
    img_suffix: z.string().default('.jpg'),
    seg_map_suffix: z.string().default('.png'),
    /** Without `seg_map_path` the items carry no label map (images only). */
    data_prefix: z.object({ img_path: z.string().default(''), seg_map_path: z.string().optional() }).strict().default({ img_path: '', seg_map_path: '' }),
    ignore_index: z.number().int().default(255),
    reduce_zero_label: z.boolean().default(false),
    backend_args: z.null().optional(),
  })
  .strict();
export type BaseSegDatasetOptions = z.output<typeof baseSegDatasetSchema>;

/** One image's data info as mmseg's BaseSegDataset.load_data_list makes it. */
export interface SegDataInfo extends Results {
  img_path: string;
  seg_map_path?: string;
  /** Old label → new label, when `metainfo.classes` picks a subset of the dataset's classes. */
  label_map: Record<number, number> | null;
  reduce_zero_label: boolean;
  seg_fields: string[];
}

export interface SegDatasetConfig extends BaseDatasetConfig {
  img_suffix: string;
  seg_map_suffix: string;
  seg_map_prefix: string | null;
  ignore_index: number;
  reduce_zero_label: boolean;
}

/** A dataset's own classes and palette (mmseg's class-level METAINFO). */
export interface SegMetainfo {
  classes?: readonly string[];
  palette?: readonly (readonly number[])[];
}

/**
 * mmseg's BaseSegDataset: image / label-map pairs that differ only by suffix. With `ann_file`
 * (a text file of basenames, one a line) the pairs are `img_path/<name><img_suffix>` and
 * `seg_map_path/<name><seg_map_suffix>` in the file's order; without one every file under
 * `data_prefix.img_path` (recursively, hidden files skipped) ending in `img_suffix`, sorted by
 * path. `metainfo.classes` naming a subset of the dataset's own classes gives a `label_map`
 * (others become 255), as mmseg; a missing palette is mmseg's seeded random one. A missing
 * label map is a FileError naming it and its image at load time.
 */
export class BaseSegDataset extends BaseDataset<SegDataInfo> {
  /** Classes and palette of the dataset type (empty for the base). */
  static readonly METAINFO: SegMetainfo = {};
  private readonly meta: Record<string, unknown>;
  readonly labelMap: Record<number, number> | null;
  protected readonly seg: SegDatasetConfig;

  constructor(cfg: SegDatasetConfig, ctx?: BuildContext) {
    super({ ...cfg, lazy_init: true });
    this.seg = cfg;
    const own = (this.constructor as typeof BaseSegDataset).METAINFO;
    const given = cfg.metainfo ?? {};
    const classes = (given.classes as readonly string[] | undefined) ?? own.classes;
    this.labelMap = labelMapOf(own.classes, classes, ctx);
    const palette = updatePalette((given.palette ?? own.palette ?? []) as readonly (readonly number[])[], classes ?? [], this.labelMap, ctx);
    this.meta = { ...own, ...given, ...(classes ? { classes } : {}), label_map: this.labelMap, reduce_zero_label: cfg.reduce_zero_label, palette };
    if (cfg.test_mode && !classes) throw fail(ctx, 'metainfo.classes', 'the dataset metainfo classes must be given when testing (test_mode)');
    if (!cfg.lazy_init) this.fullInit();
  }

  get metainfo(): Record<string, unknown> {
    return this.meta;
  }

  protected loadDataList(): SegDataInfo[] {
    const { img_suffix: imgSuffix, seg_map_suffix: segSuffix, seg_map_prefix: segDir } = this.seg;
    const imgDir = this.imgPrefix;
    const names = this.cfg.ann_file && !isDir(this.annFile) ? this.namesFromFile() : this.namesFromFolder(imgDir, imgSuffix);
    return names.map((stem) => {
      const info: SegDataInfo = { img_path: join(imgDir, stem + imgSuffix), label_map: this.labelMap, reduce_zero_label: this.seg.reduce_zero_label, seg_fields: [] };
      if (segDir !== null) {
        info.seg_map_path = join(segDir, stem + segSuffix);
        if (!existsSync(info.seg_map_path)) throw new FileError(info.seg_map_path, `segmentation map of ${info.img_path} does not exist (seg_map_suffix '${segSuffix}')`);
      }
      return info;
    });
  }

  /** Basenames (without suffix) from `ann_file`, one a line; blank lines are skipped. */
  private namesFromFile(): string[] {
    let text: string;
    try {
      text = readFileSync(this.annFile, 'utf8');
    } catch (e) {
      throw new FileError(this.annFile, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'ann_file (a list of image basenames) not found' : `cannot read: ${(e as Error).message}`);
    }
    const names = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l);
    if (names.length === 0) throw new FileError(this.annFile, 'ann_file lists no images');
    return names;
  }

  /** Paths under `dir` ending in `suffix`, without it, in sorted order of the image paths. */
  private namesFromFolder(dir: string, suffix: string): string[] {
    if (!isDir(dir)) throw new FileError(dir || '.', 'image folder (data_prefix.img_path) not found');
    const files = listFiles(dir).filter((f) => f.endsWith(suffix));
    if (files.length === 0) throw new FileError(dir, `no images ending in '${suffix}' (img_suffix) in this folder`);
    return files
      .map((f) => join(dir, f))
      .sort()
      .map((p) => relative(dir, p).slice(0, -suffix.length || undefined));
  }
}



function fail(ctx: BuildContext | undefined, key: string, detail: string): Error {
  return ctx ? ctx.error(key, detail) : new ConfigError(key, detail);
}

/** mmseg's get_label_map: old label → new label when the classes are a reordered or smaller set. */
function labelMapOf(own: readonly string[] | undefined, classes: readonly string[] | undefined, ctx?: BuildContext): Record<number, number> | null {
  if (!own || !classes || (own.length === classes.length && own.every((c, i) => c === classes[i]))) return null;
  const unknown = classes.filter((c) => !own.includes(c));
  if (unknown.length) throw fail(ctx, 'metainfo.classes', `${unknown.map((c) => `'${c}'`).join(', ')} not among the dataset's classes (${own.join(', ')})`);
  return Object.fromEntries(own.map((c, i) => [i, classes.includes(c) ? classes.indexOf(c) : 255]));
}

/** mmseg's _update_palette: as given, the subset of a label map, or the seeded random one. */
function updatePalette(palette: readonly (readonly number[])[], classes: readonly string[], labelMap: Record<number, number> | null, ctx?: BuildContext): readonly (readonly number[])[] {
  if (palette.length === classes.length) return palette;
  if (palette.length === 0) return mmsegRandomPalette(classes.length);
  if (palette.length >= classes.length && labelMap) {
    return Object.entries(labelMap)
      .filter(([, n]) => n !== 255)
      .sort((a, b) => a[1] - b[1])
      .map(([old]) => palette[Number(old)]);
  }
  throw fail(ctx, 'metainfo.palette', `has ${palette.length} colours for ${classes.length} classes`);
}

/** Options → the dataset's config (paths joined to data_root as mmengine does). */
export function segDatasetConfig(o: BaseSegDatasetOptions, ctx: BuildContext): SegDatasetConfig {
  const classes = o.metainfo?.classes;
  if (classes !== undefined && (!Array.isArray(classes) || !classes.every((c) => typeof c === 'string'))) throw ctx.error('metainfo.classes', 'expected a list of class names');
  const palette = o.metainfo?.palette;
  if (palette !== undefined && !z.array(rgb).safeParse(palette).success) throw ctx.error('metainfo.palette', 'expected a list of [r, g, b] colours (0-255)');
  const root = o.data_root ?? '';
  const under = (p: string) => (root && !isAbsolute(p) ? join(root, p) : p);
  const seg = o.data_prefix.seg_map_path;
  return {
    ...o,
    data_prefix: { img: o.data_prefix.img_path },
    seg_map_prefix: seg === undefined ? null : seg ? under(seg) : root,
    pipeline: buildPipeline(o.pipeline, ctx),
  };
}

DATASETS.register(baseSegDatasetSchema, (o: BaseSegDatasetOptions, ctx: BuildContext) => new BaseSegDataset(segDatasetConfig(o, ctx), ctx), {
  name: 'BaseSegDataset',
  scope: 'mmseg',
  summary: "mmseg's BaseSegDataset: image / label-map pairs by suffix (folder scan or ann_file of basenames), as mmseg.BaseSegDataset",
});
