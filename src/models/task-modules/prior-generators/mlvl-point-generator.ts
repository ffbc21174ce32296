import { z } from 'zod';
import type { Tensor } from '../../../core/tensor';
import { TASK_UTILS } from '../../../registry/registries';
import { axisOffsets, gridShifts, gridValidFlags, type FeatSize, type GridColumn } from './grid-shifts';

const stride = z.union([z.number().positive(), z.tuple([z.number().positive(), z.number().positive()])]);

export const mlvlPointGeneratorOptions = z
  .object({
    /** Per level: a number, or (w, h) as mmdetection orders a pair. */
    strides: z.array(stride).min(1),
    offset: z.number().default(0.5),
  })
  .strict();
export type MlvlPointGeneratorOptions = z.input<typeof mlvlPointGeneratorOptions>;

/**
 * mmdetection's MlvlPointGenerator (FCOS and other anchor-free heads): one point per cell,
 * ((x + offset) * stride_w, (y + offset) * stride_h), in row-major cell order; with
 * `withStride` each row also holds (stride_w, stride_h).
 */
export class MlvlPointGenerator {
  /** (w, h) per level. */
  readonly strides: readonly (readonly [number, number])[];
  readonly offset: number;

  constructor(options: MlvlPointGeneratorOptions) {
    const o = mlvlPointGeneratorOptions.parse(options);
    this.strides = o.strides.map((s) => (typeof s === 'number' ? [s, s] : [s[0], s[1]]));
    this.offset = o.offset;
  }

  get numLevels(): number {
    return this.strides.length;
  }

  get numBasePriors(): number[] {
    return this.strides.map(() => 1);
  }

  /** Points [H * W, 2] (or [H * W, 4] with strides) of every level (engine tensors). */
  gridPriors(featmapSizes: readonly FeatSize[], opts: { withStride?: boolean } = {}): Tensor[] {
    this.checkLevels(featmapSizes);
    return featmapSizes.map((s, i) => this.singleLevelGridPriors(s, i, opts));
  }

  singleLevelGridPriors(featmapSize: FeatSize, level: number, opts: { withStride?: boolean } = {}): Tensor {
    const [h, w] = featmapSize;
    const [sw, sh] = this.strides[level];
    const cols: GridColumn[] = opts.withStride ? ['x', 'y', sw, sh] : ['x', 'y'];
    return gridShifts(axisOffsets(w, sw, this.offset), axisOffsets(h, sh, this.offset), cols);
  }

  /** Host flags [H * W] per level: cells inside the padded image (`padShape` is (h, w)). */
  validFlags(featmapSizes: readonly FeatSize[], padShape: readonly number[]): Uint8Array[] {
    this.checkLevels(featmapSizes);
    return featmapSizes.map(([fh, fw], i) => {
      const [sw, sh] = this.strides[i];
      return gridValidFlags(fh, fw, Math.min(Math.ceil(padShape[0] / sh), fh), Math.min(Math.ceil(padShape[1] / sw), fw), 1);
    });
  }

  private checkLevels(featmapSizes: readonly FeatSize[]): void {
    if (featmapSizes.length !== this.numLevels) {
      throw new Error(`MlvlPointGenerator has ${this.numLevels} levels but got ${featmapSizes.length} feature map sizes`);
    }
  }
}

TASK_UTILS.register(mlvlPointGeneratorOptions, (o: MlvlPointGeneratorOptions) => new MlvlPointGenerator(o), {
  name: 'MlvlPointGenerator',
  summary: 'one point per feature cell and level, at (x + offset) * stride (mmdetection MlvlPointGenerator)',
});
