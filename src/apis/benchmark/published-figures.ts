import * as path from 'node:path';
import data from './published-figures.json';

export interface PublishedValue {
  value: number;
  source: string;
}

export interface PublishedFigures {
  name: string;
  params_m?: PublishedValue;
  gflops?: PublishedValue;
  box_ap?: PublishedValue[];
  fps?: PublishedValue;
  mem_gb?: PublishedValue;
}

export interface PublishedSource {
  title: string;
  url: string;
}

const MODELS = data.models as Record<string, PublishedFigures>;

/** The published figures for a config (looked up by its file name without the extension), or null. */
export function publishedFigures(config: string): PublishedFigures | null {
  return MODELS[configKey(config)] ?? null;
}

/** The sources the figures of these configs cite. */
export function publishedSources(configs: readonly string[]): Record<string, PublishedSource> {
  const used = new Set<string>();
  for (const c of configs) {
    const f = publishedFigures(c);
    if (!f) continue;
    for (const v of [f.params_m, f.gflops, f.fps, f.mem_gb, ...(f.box_ap ?? [])]) if (v) used.add(v.source);
  }
  const all = data.sources as Record<string, PublishedSource>;
  return Object.fromEntries([...used].sort().map((k) => [k, all[k]]));
}

export const PUBLISHED_ABOUT: string = data.about;

/** `configs/hrnet/faster-rcnn_hrnetv2p-w18-1x_coco.json` → `faster-rcnn_hrnetv2p-w18-1x_coco`. */
export function configKey(config: string): string {
  return path.basename(config).replace(/\.(json|ya?ml|[cm]?[jt]s)$/i, '');
}
