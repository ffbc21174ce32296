import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import type { Container } from 'inversify';
import '../components';
import { ConfigError, UserError } from '../core/errors';
import type { HostTensor } from '../core/host-tensor';
import { Random } from '../core/random';
import { loadConfig, loadPlugins, type ConfigObject } from '../config';
import type { BaseDataset } from '../data/datasets/base-dataset';
import type { HwcImage } from '../data/image-io/image';
import type { PackedSample } from '../data/transforms/pack-det-inputs';
import { build } from '../registry/container';
import { withDefaultScope } from '../registry/registry';
import { DATASETS } from '../registry/registries';
import type { DataSample } from '../structures/data-sample';
import { drawSample, type SampleDrawMeta } from './draw-sample';

export interface BrowseOptions {
  outDir: string;
  /** Which `<phase>_dataloader`'s dataset (default train). */
  phase?: 'train' | 'val' | 'test';
  /** How many items, from the first (default all). */
  num?: number;
  /** Seed of the random transforms (the loader's per-sample generators of epoch 0). */
  seed?: number;
  cfgOptions?: string[];
  plugins?: string[];
  container?: Container;
}

export interface BrowseResult {
  files: string[];
  total: number;
}

/**
 * mmdetection's tools/analysis_tools/browse_dataset.py: the items of a config's dataset
 * through its pipeline, each drawn as the model receives it (the packed input image, BGR
 * turned to RGB, with the ground truth the pipeline packed) into `<out-dir>/<image stem>.png`.
 * Random transforms draw as the loader's epoch 0 does. For top-down pose the packing keeps the
 * keypoints in the crop's frame (mmpose's browse_dataset sets pack_transformed the same way).
 */
export async function browseDataset(configPath: string, o: BrowseOptions): Promise<BrowseResult> {
  const { config } = loadConfig(configPath, { cfgOptions: o.cfgOptions });
  loadPlugins(config, { extra: o.plugins ?? [], file: configPath });
  const phase = o.phase ?? 'train';
  const key = `${phase}_dataloader`;
  const loaderCfg = config[key] as ConfigObject | undefined;
  if (!loaderCfg || typeof loaderCfg !== 'object' || !loaderCfg.dataset) throw new ConfigError(key, `the config has no ${key}.dataset to browse`, configPath);
  const datasetCfg = withTransformedKeypoints(loaderCfg.dataset as ConfigObject);
  const dataset = withDefaultScope(config.default_scope as string | undefined, () =>
    build(DATASETS, datasetCfg, { path: `${key}.dataset`, file: configPath, container: o.container }),
  ) as BaseDataset;
  const n = Math.min(o.num ?? dataset.length, dataset.length);
  const seed = o.seed ?? ((config.randomness as { seed?: number } | undefined)?.seed ?? 0);
  const meta = drawMeta(dataset.metainfo);
  mkdirSync(o.outDir, { recursive: true });
  const files: string[] = [];
  const taken = new Set<string>();
  for (let i = 0; i < n; i++) {
    const item = (await dataset.getItem(i, Random.derive(seed, 0, i))) as unknown as PackedSample<DataSample>;
    if (!item.inputs || !item.data_samples) throw new UserError(`${dataset.annFile}: item ${i} was not packed: end the pipeline with a Pack*Inputs transform`);
    const png = await drawSample(toRgbImage(item.inputs), item.data_samples, meta);
    const path = String(item.data_samples.metainfo.img_path ?? `item_${i}`);
    let name = basename(path, extname(path));
    if (taken.has(name)) name = `${name}_${i}`; // several items of one image (top-down pose)
    taken.add(name);
    const file = join(o.outDir, `${name}.png`);
    writeFileSync(file, png);
    files.push(resolve(file));
  }
  return { files, total: dataset.length };
}

/** The dataset config with mmpose's PackPoseInputs packing the keypoints in the input's frame too. */
function withTransformedKeypoints(ds: ConfigObject): ConfigObject {
  const pipeline = Array.isArray(ds.pipeline) ? (ds.pipeline as ConfigObject[]) : null;
  if (!pipeline) return ds;
  return { ...ds, pipeline: pipeline.map((t) => (t && /(^|\.)PackPoseInputs$/.test(String(t.type)) ? { ...t, pack_transformed: true } : t)) };
}

function drawMeta(m: Record<string, unknown>): SampleDrawMeta {
  return {
    classes: Array.isArray(m.classes) ? (m.classes as string[]) : undefined,
    palette: Array.isArray(m.palette) ? (m.palette as number[][]) : undefined,
    skeleton: Array.isArray(m.skeleton_links) ? (m.skeleton_links as [number, number][]) : undefined,
    skeletonColors: Array.isArray(m.skeleton_link_colors) ? (m.skeleton_link_colors as number[][]) : undefined,
  };
}

/** A packed C×H×W input as an RGB HWC uint8 image (float inputs clamped to 0..255; gray repeated). */
export function toRgbImage(t: HostTensor): HwcImage {
  const [c, h, w] = t.shape;
  const plane = h * w;
  const data = new Uint8Array(plane * 3);
  // the pipelines hand BGR (mmcv's order) to the model; 1 channel is gray
  const src = (k: number) => (c === 1 ? 0 : c >= 3 ? 2 - k : Math.min(k, c - 1));
  for (let i = 0; i < plane; i++) for (let k = 0; k < 3; k++) data[i * 3 + k] = Math.max(0, Math.min(255, Math.round(Number(t.data[src(k) * plane + i]))));
  return { data, height: h, width: w, channels: 3, order: 'rgb' };
}
