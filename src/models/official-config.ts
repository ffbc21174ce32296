/**
 * Converter from the official HRNet repositories' yaml vocabulary (MODEL.EXTRA.STAGE1..4,
 * NUM_JOINTS, DATASET.NUM_CLASSES, ALIGN_CORNERS, FINAL_CONV_KERNEL, ...) to an hrdet config,
 * so an official experiment file and its checkpoint can be used as they are:
 *
 *   const cfg = fromOfficialConfig(yaml.load(fs.readFileSync('w32_256x192_adam_lr1e-3.yaml', 'utf8')));
 *   const { model } = await buildModel(cfg);   // then loadWeights(model, 'pose_hrnet_w32_256x192.pth')
 *
 * pose_hrnet → TopdownPoseEstimator (HRNetV1 + HeatmapHead), seg_hrnet → EncoderDecoder
 * (HRNetV2 + FCNHead in the `last_layer` form), cls_hrnet → ImageClassifier (+ HRNetClsHead).
 * The family differences of the official code become backbone options (see `HRNet`).
 */
import * as fs from 'node:fs';
import * as yaml from 'js-yaml';
import { ConfigError } from '../core/errors';

type Dict = Record<string, unknown>;
export type OfficialFamily = 'pose' | 'seg' | 'cls';

export interface HrdetConfig {
  [key: string]: unknown;
  model: Dict;
  /** [C, H, W] of the input the published numbers use (when the official file says). */
  input_shape?: [number, number, number];
}

const EXPANSION: Record<string, number> = { BASIC: 1, BOTTLENECK: 4 };

/** The family from MODEL.NAME (pose_hrnet, seg_hrnet, cls_hrnet and their variants). */
export function officialFamily(cfg: Dict): OfficialFamily {
  const name = String(get(cfg, 'MODEL.NAME') ?? '');
  if (/pose/i.test(name)) return 'pose';
  if (/seg/i.test(name)) return 'seg';
  if (/cls/i.test(name)) return 'cls';
  throw new ConfigError('MODEL.NAME', `cannot tell the HRNet family from '${name}': expected pose_hrnet, seg_hrnet or cls_hrnet`);
}

export function fromOfficialConfig(cfg: Dict, family: OfficialFamily = officialFamily(cfg)): HrdetConfig {
  switch (family) {
    case 'pose':
      return poseConfig(cfg);
    case 'seg':
      return segConfig(cfg);
    case 'cls':
      return clsConfig(cfg);
  }
}

/** Read an official yaml (or json) experiment file and convert it. */
export function readOfficialConfig(file: string): HrdetConfig {
  const text = fs.readFileSync(file, 'utf8');
  const parsed = file.endsWith('.json') ? JSON.parse(text) : yaml.load(text);
  try {
    return fromOfficialConfig(parsed as Dict);
  } catch (e) {
    throw e instanceof ConfigError ? e.inFile(file) : e;
  }
}

// --- families ------------------------------------------------------------------------------

function poseConfig(cfg: Dict): HrdetConfig {
  const extra = need<Dict>(cfg, 'MODEL.EXTRA');
  // pose_hrnet hard-codes stage 1: four Bottlenecks of 64 planes
  const stage1 = { num_modules: 1, num_branches: 1, block: 'BOTTLENECK', num_blocks: [4], num_channels: [64] };
  const backbone = hrnet(extra, stage1, { multiscale: false, upsample: { mode: 'nearest' }, transition: 'last_branch' });
  const k = finalKernel(extra);
  const model: Dict = {
    type: 'TopdownPoseEstimator',
    backbone,
    head: {
      type: 'HeatmapHead',
      in_channels: branchWidths(extra, 'STAGE4')[0],
      out_channels: need<number>(cfg, 'MODEL.NUM_JOINTS'),
      deconv_out_channels: null,
      final_layer: { kernel_size: k, padding: k === 3 ? 1 : 0 },
    },
  };
  return withInputShape({ model }, get(cfg, 'MODEL.IMAGE_SIZE'));
}

function segConfig(cfg: Dict): HrdetConfig {
  const extra = need<Dict>(cfg, 'MODEL.EXTRA');
  const alignCorners = Boolean(get(cfg, 'MODEL.ALIGN_CORNERS') ?? false);
  const backbone = hrnet(extra, stage1Of(extra), {
    multiscale: true,
    upsample: { mode: 'bilinear', align_corners: alignCorners },
    transition: 'same_branch',
  });
  const widths = branchWidths(extra, 'STAGE4');
  const total = widths.reduce((a, b) => a + b, 0);
  const model: Dict = {
    type: 'EncoderDecoder',
    backbone,
    decode_head: {
      type: 'FCNHead',
      in_channels: widths,
      in_index: widths.map((_, i) => i),
      input_transform: 'resize_concat',
      channels: total,
      kernel_size: 1,
      num_convs: 1,
      concat_input: false,
      dropout_ratio: -1,
      num_classes: need<number>(cfg, 'DATASET.NUM_CLASSES'),
      norm_cfg: { type: 'BN', requires_grad: true },
      align_corners: alignCorners,
      conv_bias: true,
      seg_kernel_size: finalKernel(extra),
    },
  };
  return withInputShape({ model }, get(cfg, 'TEST.IMAGE_SIZE') ?? get(cfg, 'TRAIN.IMAGE_SIZE'));
}

function clsConfig(cfg: Dict): HrdetConfig {
  const extra = need<Dict>(cfg, 'MODEL.EXTRA');
  const backbone = hrnet(extra, stage1Of(extra), { multiscale: true, upsample: { mode: 'nearest' }, transition: 'last_branch' });
  const head: Dict = {
    type: 'HRNetClsHead',
    in_channels: branchWidths(extra, 'STAGE4'),
    // cls_hrnet fixes these three; configs that expose them (small test networks) are honoured
    head_channels: (extra.HEAD_CHANNELS as number[] | undefined) ?? [32, 64, 128, 256],
    final_channels: (extra.HEAD_FINAL_CHANNELS as number | undefined) ?? 2048,
    num_classes: (get(cfg, 'MODEL.NUM_CLASSES') as number | undefined) ?? 1000,
  };
  return withInputShape({ model: { type: 'ImageClassifier', backbone, head } }, get(cfg, 'MODEL.IMAGE_SIZE'));
}

// --- pieces --------------------------------------------------------------------------------

interface BodyOptions {
  multiscale: boolean;
  upsample: Dict;
  transition: 'last_branch' | 'same_branch';
}

function hrnet(extra: Dict, stage1: Dict, o: BodyOptions): Dict {
  return {
    type: 'HRNet',
    in_channels: 3,
    norm_cfg: { type: 'BN', requires_grad: true },
    norm_eval: false,
    multiscale_output: o.multiscale,
    upsample_cfg: o.upsample,
    transition_input: o.transition,
    extra: { stage1, stage2: stage(extra, 'STAGE2'), stage3: stage(extra, 'STAGE3'), stage4: stage(extra, 'STAGE4') },
  };
}

/** STAGE1 of seg/cls: only BLOCK, NUM_BLOCKS[0] and NUM_CHANNELS[0] are read (the yamls even misspell NUM_BRANCHES). */
function stage1Of(extra: Dict): Dict {
  const s = need<Dict>(extra, 'STAGE1', 'MODEL.EXTRA');
  const at = 'MODEL.EXTRA.STAGE1';
  return {
    num_modules: 1,
    num_branches: 1,
    block: blockName(s, at),
    num_blocks: [need<number[]>(s, 'NUM_BLOCKS', at)[0]],
    num_channels: [need<number[]>(s, 'NUM_CHANNELS', at)[0]],
  };
}

function stage(extra: Dict, name: string): Dict {
  const at = `MODEL.EXTRA.${name}`;
  const s = need<Dict>(extra, name, 'MODEL.EXTRA');
  return {
    num_modules: need<number>(s, 'NUM_MODULES', at),
    num_branches: need<number>(s, 'NUM_BRANCHES', at),
    block: blockName(s, at),
    num_blocks: [...need<number[]>(s, 'NUM_BLOCKS', at)],
    num_channels: [...need<number[]>(s, 'NUM_CHANNELS', at)],
  };
}

function blockName(s: Dict, at: string): string {
  const b = need<string>(s, 'BLOCK', at);
  if (!(b in EXPANSION)) throw new ConfigError(`${at}.BLOCK`, `expected 'BASIC' or 'BOTTLENECK', got '${b}'`);
  return b;
}

function branchWidths(extra: Dict, name: string): number[] {
  const s = stage(extra, name);
  return (s.num_channels as number[]).map((c) => c * EXPANSION[s.block as string]);
}

function finalKernel(extra: Dict): 1 | 3 {
  const k = (extra.FINAL_CONV_KERNEL as number | undefined) ?? 1;
  if (k !== 1 && k !== 3) throw new ConfigError('MODEL.EXTRA.FINAL_CONV_KERNEL', `expected 1 or 3, got ${k}`);
  return k;
}

/** Official IMAGE_SIZE is [width, height]. */
function withInputShape(cfg: HrdetConfig, size: unknown): HrdetConfig {
  if (Array.isArray(size) && size.length === 2) cfg.input_shape = [3, Number(size[1]), Number(size[0])];
  return cfg;
}

function get(obj: Dict, dotted: string): unknown {
  let cur: unknown = obj;
  for (const k of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Dict)[k];
  }
  return cur;
}

function need<T>(obj: Dict, dotted: string, at?: string): T {
  const v = get(obj, dotted);
  if (v === undefined || v === null) throw new ConfigError(at ? `${at}.${dotted}` : dotted, 'missing in the official config');
  return v as T;
}
