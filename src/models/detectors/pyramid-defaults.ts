import type { ShapeSpec } from '../backbones/backbone';

type Cfg = Record<string, unknown>;

/**
 * A two-stage detector's heads, given the feature pyramid they run on, get what they would
 * only repeat from it when their config leaves it out (mmdetection makes one write it out): the
 * RPN's `in_channels` and `anchor_generator.strides`; the RoI extractors' `out_channels` and
 * `featmap_strides`; the box and mask heads' `in_channels`. A value that is written stays as
 * written (and is checked against the pyramid by the detector and the heads).
 */
export function rpnHeadWithPyramid(cfg: Cfg, levels: readonly ShapeSpec[]): Cfg {
  const out = { ...cfg };
  const channels = commonChannels(levels);
  if (out.in_channels === undefined && channels !== null) out.in_channels = channels;
  const gen = out.anchor_generator;
  if (isCfg(gen) && gen.strides === undefined) out.anchor_generator = { ...gen, strides: levels.map((l) => l.stride) };
  return out;
}

/**
 * The RoI head's side (StandardRoIHead, CascadeRoIHead: one config or one per stage). RoIs pool
 * from every level but the coarsest, as mmdetection's configs do ([4, 8, 16, 32] of an FPN's
 * five levels, whose fifth is a pooled extra), or from the only level there is.
 */
export function roiHeadWithPyramid(cfg: Cfg, levels: readonly ShapeSpec[]): Cfg {
  const channels = commonChannels(levels);
  const strides = (levels.length > 1 ? levels.slice(0, -1) : levels).map((l) => l.stride);
  const extractor = (c: Cfg): Cfg => ({
    ...c,
    ...(c.out_channels === undefined && channels !== null ? { out_channels: channels } : {}),
    ...(c.featmap_strides === undefined ? { featmap_strides: strides } : {}),
  });
  const head = (c: Cfg, from: unknown): Cfg => {
    const fed = isCfg(from) && typeof from.out_channels === 'number' ? from.out_channels : channels;
    return c.in_channels === undefined && fed !== null ? { ...c, in_channels: fed } : c;
  };
  const out = { ...cfg };
  out.bbox_roi_extractor = perStage(cfg.bbox_roi_extractor, extractor);
  out.bbox_head = perStage(cfg.bbox_head, (c, s) => head(c, stageOf(out.bbox_roi_extractor, s)));
  if (isCfg(cfg.mask_roi_extractor) || Array.isArray(cfg.mask_roi_extractor)) out.mask_roi_extractor = perStage(cfg.mask_roi_extractor, extractor);
  const maskSource = out.mask_roi_extractor ?? out.bbox_roi_extractor;
  if (cfg.mask_head) out.mask_head = perStage(cfg.mask_head, (c, s) => head(c, stageOf(maskSource, s)));
  return out;
}

/** The channel count of every level, or null when they differ (then nothing is filled in). */
function commonChannels(levels: readonly ShapeSpec[]): number | null {
  const set = new Set(levels.map((l) => l.channels));
  return set.size === 1 ? levels[0].channels : null;
}

function isCfg(v: unknown): v is Cfg {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Apply `f` to one config or to each stage's; anything else is left for the schema to reject. */
function perStage(v: unknown, f: (c: Cfg, stage: number) => Cfg): unknown {
  if (isCfg(v)) return f(v, 0);
  if (Array.isArray(v)) return v.map((c, s) => (isCfg(c) ? f(c, s) : c));
  return v;
}

function stageOf(v: unknown, s: number): unknown {
  return Array.isArray(v) ? v[s] : v;
}
