import { z } from 'zod';
import { ConfigError } from '../../../core/errors';
import { hostTensor } from '../../../core/host-tensor';
import * as F from '../../../core/ops';
import type { Tensor } from '../../../core/tensor';
import type { BuildContext } from '../../../registry/build-context';
import { TASK_UTILS } from '../../../registry/registries';
import { axisOffsets, gridShifts, gridValidFlags, type FeatSize } from './grid-shifts';

export type { FeatSize };

const stride = z.union([z.number().positive(), z.tuple([z.number().positive(), z.number().positive()])]);

export const anchorGeneratorOptions = z
  .object({
    /** Per level: a number, or (w, h) as mmdetection orders a pair. */
    strides: z.array(stride).min(1),
    ratios: z.array(z.number().positive()).min(1),
    scales: z.array(z.number().positive()).min(1).nullable().default(null),
    base_sizes: z.array(z.number().positive()).nullable().default(null),
    scale_major: z.boolean().default(true),
    octave_base_scale: z.number().positive().nullable().default(null),
    scales_per_octave: z.number().int().positive().nullable().default(null),
    centers: z.array(z.tuple([z.number(), z.number()])).nullable().default(null),
    center_offset: z.number().min(0).max(1).default(0),
    /** mmdetection's box-type wrapping; hrdet's generators return plain tensors. */
    use_box_type: z.literal(false).default(false),
  })
  .strict();
export type AnchorGeneratorOptions = z.input<typeof anchorGeneratorOptions>;
type Parsed = z.output<typeof anchorGeneratorOptions>;

/**
 * mmdetection's AnchorGenerator (v2.0+ conventions). Per level, one base anchor per (ratio,
 * scale) (ratio-major when scale_major): w = base * (1/sqrt(r)) * s, h = base * sqrt(r) * s,
 * centred on (center_offset * base) or the level's `centers` entry; grid anchors add the
 * cell's top-left (x * stride_w, y * stride_h). Flat order: (y * W + x) * A + a. Values are
 * float32, computed in PyTorch's order, so they equal mmdetection's bit for bit.
 */
export class AnchorGenerator {
  /** (w, h) per level. */
  readonly strides: readonly (readonly [number, number])[];
  readonly baseSizes: readonly number[];
  readonly scales: Float32Array;
  readonly ratios: Float32Array;
  readonly scaleMajor: boolean;
  readonly centerOffset: number;
  readonly centers: readonly (readonly [number, number])[] | null;
  /** [A * 4] x1y1x2y2 base anchors per level. */
  readonly baseAnchors: readonly Float32Array[];

  constructor(options: AnchorGeneratorOptions, ctx?: BuildContext) {
    const o = anchorGeneratorOptions.parse(options);
    const fail = (key: string, detail: string) => (ctx ? ctx.error(key, detail) : new ConfigError(key, detail));
    this.strides = o.strides.map((s) => (typeof s === 'number' ? [s, s] : [s[0], s[1]]));
    this.baseSizes = o.base_sizes ?? this.strides.map((s) => Math.min(s[0], s[1]));
    if (this.baseSizes.length !== this.strides.length) throw fail('base_sizes', `${this.baseSizes.length} base sizes for ${this.strides.length} strides`);
    if (o.center_offset !== 0 && o.centers) throw fail('centers', `centers cannot be set when center_offset is ${o.center_offset}`);
    if (o.centers && o.centers.length !== this.strides.length) throw fail('centers', `${o.centers.length} centers for ${this.strides.length} strides`);
    this.scales = levelScales(o, fail);
    this.ratios = Float32Array.from(o.ratios);
    this.scaleMajor = o.scale_major;
    this.centerOffset = o.center_offset;
    this.centers = o.centers;
    this.baseAnchors = this.baseSizes.map((b, i) => this.levelBaseAnchors(b, o.centers?.[i]));
  }

  get numLevels(): number {
    return this.strides.length;
  }

  /** Anchors per grid cell, per level. */
  get numBasePriors(): number[] {
    return this.baseAnchors.map((a) => a.length / 4);
  }

  /** Anchors [H * W * A, 4] of every level (engine tensors). */
  gridPriors(featmapSizes: readonly FeatSize[]): Tensor[] {
    this.checkLevels(featmapSizes);
    return featmapSizes.map((s, i) => this.singleLevelGridPriors(s, i));
  }

  singleLevelGridPriors(featmapSize: FeatSize, level: number): Tensor {
    const [h, w] = featmapSize;
    const [sw, sh] = this.strides[level];
    const base = this.baseAnchors[level];
    const shifts = gridShifts(axisOffsets(w, sw), axisOffsets(h, sh), ['x', 'y', 'x', 'y']);
    const a = base.length / 4;
    const anchors = F.add(F.reshape(shifts, [h * w, 1, 4]), F.constant(hostTensor('float32', [1, a, 4], base)));
    return F.reshape(anchors, [h * w * a, 4]);
  }

  /**
   * Host flags [H * W * A] per level: 1 for anchors of cells inside the padded image
   * (x < ceil(pad_w / stride_w), y < ceil(pad_h / stride_h)). `padShape` is (h, w).
   */
  validFlags(featmapSizes: readonly FeatSize[], padShape: readonly number[]): Uint8Array[] {
    this.checkLevels(featmapSizes);
    return featmapSizes.map(([fh, fw], i) => {
      const [sw, sh] = this.strides[i];
      const vh = Math.min(Math.ceil(padShape[0] / sh), fh);
      const vw = Math.min(Math.ceil(padShape[1] / sw), fw);
      return gridValidFlags(fh, fw, vh, vw, this.numBasePriors[i]);
    });
  }

  private checkLevels(featmapSizes: readonly FeatSize[]): void {
    if (featmapSizes.length !== this.numLevels) {
      throw new Error(`AnchorGenerator has ${this.numLevels} levels but got ${featmapSizes.length} feature map sizes`);
    }
  }

  /** float32 arithmetic in mmdetection's order (gen_single_level_base_anchors). */
  private levelBaseAnchors(baseSize: number, center?: readonly [number, number]): Float32Array {
    const f = Math.fround;
    const xc = f(center ? center[0] : this.centerOffset * baseSize);
    const yc = f(center ? center[1] : this.centerOffset * baseSize);
    const hr = Array.from(this.ratios, (r) => f(Math.sqrt(r)));
    const wr = hr.map((v) => f(1 / v));
    const base = f(baseSize);
    const ws: number[] = [];
    const hs: number[] = [];
    if (this.scaleMajor) {
      for (let r = 0; r < hr.length; r++) {
        for (const s of this.scales) {
          ws.push(f(f(base * wr[r]) * s));
          hs.push(f(f(base * hr[r]) * s));
        }
      }
    } else {
      for (const s of this.scales) {
        for (let r = 0; r < hr.length; r++) {
          ws.push(f(f(base * s) * wr[r]));
          hs.push(f(f(base * s) * hr[r]));
        }
      }
    }
    const out = new Float32Array(ws.length * 4);
    ws.forEach((wv, k) => {
      const [hw, hh] = [f(0.5 * wv), f(0.5 * hs[k])];
      out.set([xc - hw, yc - hh, xc + hw, yc + hh], 4 * k);
    });
    return out;
  }
}

/** `scales`, or octave_base_scale * 2^(i / scales_per_octave) (computed in float64, stored float32). */
function levelScales(o: Parsed, fail: (key: string, detail: string) => ConfigError): Float32Array {
  const octave = o.octave_base_scale !== null && o.scales_per_octave !== null;
  if (octave === (o.scales !== null)) {
    throw fail('scales', 'give either scales or octave_base_scale with scales_per_octave');
  }
  if (o.scales) return Float32Array.from(o.scales);
  const [base, n] = [o.octave_base_scale!, o.scales_per_octave!];
  return Float32Array.from({ length: n }, (_, i) => 2 ** (i / n) * base);
}

TASK_UTILS.register(anchorGeneratorOptions, (o: AnchorGeneratorOptions, ctx: BuildContext) => new AnchorGenerator(o, ctx), {
  name: 'AnchorGenerator',
  summary: 'grid anchors per level from strides, ratios and scales (mmdetection AnchorGenerator)',
});
