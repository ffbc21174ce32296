import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../../core/errors';
import { Random } from '../../core/random';
import type { Compose } from '../transforms/compose';
import type { Results } from '../transforms/results';

/** mmengine BaseDataset's options (the subclass adds its own). */
export const baseDatasetOptions = {
  ann_file: z.string().default(''),
  metainfo: z.record(z.unknown()).nullable().optional(),
  data_root: z.string().nullable().optional(),
  data_prefix: z.object({ img: z.string().default('') }).strict().default({ img: '' }),
  filter_cfg: z.object({ filter_empty_gt: z.boolean().default(false), min_size: z.number().min(0).default(0) }).strict().nullable().optional(),
  indices: z.union([z.number().int().min(0), z.array(z.number().int().min(0))]).nullable().optional(),
  /**
   * mmengine packs the annotations into one buffer to share them with worker processes; here
   * they are held once in memory either way, so the option changes nothing that is returned.
   */
  serialize_data: z.boolean().default(true),
  pipeline: z.array(z.unknown()).default([]),
  test_mode: z.boolean().default(false),
  lazy_init: z.boolean().default(false),
  max_refetch: z.number().int().positive().default(1000),
};

export interface BaseDatasetConfig {
  ann_file: string;
  metainfo?: Record<string, unknown> | null;
  data_root?: string | null;
  data_prefix: { img: string };
  filter_cfg?: { filter_empty_gt: boolean; min_size: number } | null;
  indices?: number | number[] | null;
  pipeline: Compose;
  test_mode: boolean;
  lazy_init: boolean;
  max_refetch: number;
}

/**
 * mmengine's BaseDataset: annotations are read on first use (or at construction without
 * `lazy_init`), filtered (`filter_cfg`, never in `test_mode`), cut to `indices`, and each item
 * is its data info run through the pipeline. Outside test mode a sample the pipeline drops is
 * replaced by another drawn at random (from `rng`, so seeded), at most `max_refetch` times.
 */
export abstract class BaseDataset<Info extends Results = Results> {
  readonly annFile: string;
  readonly imgPrefix: string;
  readonly testMode: boolean;
  protected readonly cfg: BaseDatasetConfig;
  private dataList: Info[] | null = null;

  constructor(cfg: BaseDatasetConfig) {
    this.cfg = cfg;
    const root = cfg.data_root ?? '';
    const under = (p: string) => (root && !isAbsolute(p) ? join(root, p) : p);
    this.annFile = under(cfg.ann_file);
    this.imgPrefix = cfg.data_prefix.img ? under(cfg.data_prefix.img) : root;
    this.testMode = cfg.test_mode;
    if (!cfg.lazy_init) this.fullInit();
  }

  /** Class names and the rest of the metainfo (the subclass defaults, then the config's). */
  abstract get metainfo(): Record<string, unknown>;

  protected abstract loadDataList(): Info[];

  /** mmdet's filter_data; the base keeps everything. */
  protected filterData(list: Info[]): Info[] {
    return list;
  }

  fullInit(): void {
    if (this.dataList) return;
    let list = this.loadDataList();
    if (!this.testMode) list = this.filterData(list);
    const idx = this.cfg.indices;
    if (idx != null) {
      const picked = typeof idx === 'number' ? list.slice(0, idx) : idx.map((i) => list[i]);
      if (typeof idx !== 'number' && idx.some((i) => i >= list.length)) throw new UserError(`${this.annFile}: indices ask for entry ${Math.max(...idx)} of ${list.length}`);
      list = picked;
    }
    this.dataList = list;
  }

  get length(): number {
    this.fullInit();
    return this.dataList!.length;
  }

  /** The data info of item i (a copy: the pipeline may not change the dataset). */
  getDataInfo(i: number): Info {
    this.fullInit();
    const info = this.dataList![i];
    if (!info) throw new UserError(`${this.annFile}: no item ${i} (the dataset has ${this.dataList!.length})`);
    return { ...structuredClone(info), sample_idx: i };
  }

  /** The data info of item i as held (not a copy: read it, never change it). */
  peekDataInfo(i: number): Readonly<Info> {
    this.fullInit();
    const info = this.dataList![i];
    if (!info) throw new UserError(`${this.annFile}: no item ${i} (the dataset has ${this.dataList!.length})`);
    return info;
  }

  /** Item i through the pipeline; `rng` feeds the random transforms and the refetch draw. */
  async getItem(i: number, rng: Random = Random.derive(0, i)): Promise<Results> {
    const first = await this.cfg.pipeline.transform({ ...this.getDataInfo(i), rng });
    if (first) return first;
    if (this.testMode) throw new UserError(`${this.annFile}: the test pipeline dropped item ${i}; test mode keeps every image`);
    for (let k = 0; k < this.cfg.max_refetch; k++) {
      const r = await this.cfg.pipeline.transform({ ...this.getDataInfo(rng.int(this.length)), rng });
      if (r) return r;
    }
    throw new UserError(`${this.annFile}: the pipeline dropped ${this.cfg.max_refetch} samples in a row; check the images and the pipeline`);
  }
}
