import { z } from 'zod';
import { TRANSFORMS } from '../../registry/registries';
import { need, type PoseResults } from './pose-results';
import type { Transform } from './results';

export const getBBoxCenterScaleSchema = z.object({ padding: z.number().positive().default(1.25) }).strict();
export type GetBBoxCenterScaleOptions = z.output<typeof getBBoxCenterScaleSchema>;

/**
 * mmpose's GetBBoxCenterScale: each x1 y1 x2 y2 `bbox` becomes `bbox_center` (its middle) and
 * `bbox_scale` (its w, h times `padding`). When the results already hold a centre and scale,
 * only the padding is applied to the scale, as mmpose does.
 */
export class GetBBoxCenterScale implements Transform {
  constructor(private readonly o: GetBBoxCenterScaleOptions) {}

  transform(results: PoseResults): PoseResults {
    const f = Math.fround;
    const p = this.o.padding;
    if (results.bbox_center && results.bbox_scale) {
      return { ...results, bbox_scale: results.bbox_scale.map(([w, h]) => [f(w * p), f(h * p)]) };
    }
    const bbox = need(results, 'bbox', 'GetBBoxCenterScale', 'the dataset gives it');
    return {
      ...results,
      bbox_center: bbox.map(([x1, y1, x2, y2]) => [f(f(x1 + x2) * 0.5), f(f(y1 + y2) * 0.5)]),
      bbox_scale: bbox.map(([x1, y1, x2, y2]) => [f(f(x2 - x1) * p), f(f(y2 - y1) * p)]),
    };
  }
}

TRANSFORMS.register(getBBoxCenterScaleSchema, (o: GetBBoxCenterScaleOptions) => new GetBBoxCenterScale(o), {
  name: 'GetBBoxCenterScale',
  scope: 'mmpose',
  summary: 'mmpose transform: person box → centre and padded scale',
});
