import { z } from 'zod';
import { UserError } from '../../core/errors';
import { TRANSFORMS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { imresize, PILLOW_INTERPOLATIONS } from './pillow-resize';
import type { Results, Transform } from './results';

export const resizeEdgeSchema = z
  .object({
    scale: z.number().int().positive(),
    edge: z.enum(['short', 'long', 'width', 'height']).default('short'),
    backend: z.enum(['cv2', 'pillow']).default('cv2'),
    interpolation: z.enum(PILLOW_INTERPOLATIONS).default('bilinear'),
  })
  .strict();
export type ResizeEdgeOptions = z.output<typeof resizeEdgeSchema>;

/**
 * mmpretrain's ResizeEdge: the chosen edge becomes `scale`, the other int(scale * other / edge)
 * (truncated); a square image resizes its height by the rule, as mmpretrain. Sets `img_shape`,
 * `scale` (w, h) and `scale_factor` (new w / w, new h / h).
 */
export class ResizeEdge implements Transform {
  constructor(private readonly o: ResizeEdgeOptions) {}

  transform(results: Results): Results {
    const img = results.img;
    if (!img) throw new UserError(`${results.img_path ?? '<results>'}: ResizeEdge needs an image: put LoadImageFromFile before it`);
    const [h, w] = [img.height, img.width];
    const { edge, scale } = this.o;
    const byWidth = (edge === 'short' && w < h) || (edge === 'long' && w > h) || edge === 'width';
    const [nw, nh] = byWidth ? [scale, Math.trunc((scale * h) / w)] : [Math.trunc((scale * w) / h), scale];
    const out = imresize(img, nh, nw, this.o.interpolation, this.o.backend, 'ResizeEdge.interpolation');
    return { ...results, img: out, img_shape: [nh, nw], scale: [nw, nh], scale_factor: [nw / w, nh / h] };
  }
}

TRANSFORMS.register(
  resizeEdgeSchema,
  (o: ResizeEdgeOptions, ctx: BuildContext) => {
    if (o.backend === 'cv2' && o.interpolation === 'bicubic') throw ctx.error('interpolation', "'bicubic' is available with backend 'pillow' only (cv2: nearest, bilinear)");
    return new ResizeEdge(o);
  },
  { name: 'ResizeEdge', summary: 'mmpretrain transform: resize so one edge (short, long, width, height) is scale' },
);
