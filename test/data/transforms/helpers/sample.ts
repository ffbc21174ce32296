import { Random } from '../../../../src/core/random';
import { Boxes } from '../../../../src/structures/boxes';
import { BitmapMasks } from '../../../../src/structures/masks';
import { build } from '../../../../src/registry/container';
import { TRANSFORMS } from '../../../../src/registry/registries';
import '../../../../src/components';
import type { PipelineImage, Results, Transform } from '../../../../src/data/transforms/results';

/** A transform built from its config dict, as a pipeline entry. */
export const t = (cfg: Record<string, unknown>) => build(TRANSFORMS, cfg, { path: 'pipeline.0' }) as Transform;

/** An h×w BGR image whose pixel (y, x) channel k holds 10 * (y * w + x) + k (mod 256). */
export function ramp(h: number, w: number): PipelineImage {
  const data = new Uint8Array(h * w * 3);
  for (let i = 0; i < h * w; i++) for (let k = 0; k < 3; k++) data[i * 3 + k] = (10 * i + k) % 256;
  return { data, height: h, width: w, channels: 3, order: 'bgr' };
}

/** An h×w sample with two boxes, two masks (the two left columns) and a seeded generator. */
export function sample(h: number, w: number): Results {
  return {
    img: ramp(h, w),
    img_shape: [h, w],
    ori_shape: [h, w],
    gt_bboxes: Boxes.fromRows([[10, 10, 70, 30], [0, 0, 5, 5]].map((r) => r.map((v) => Math.min(v, w)))),
    gt_masks: new BitmapMasks(Uint8Array.from({ length: 2 * h * w }, (_, i) => (i % w < 2 ? 1 : 0)), 2, h, w),
    rng: new Random(3),
  };
}
