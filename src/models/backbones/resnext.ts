import { z } from 'zod';
import { ConfigError } from '../../core/errors';
import { BACKBONES } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { ResNet, resnetOptionShape } from './resnet';

export const resnextOptions = z
  .object({
    ...resnetOptionShape,
    groups: z.number().int().positive().default(1),
    base_width: z.number().int().positive().default(4),
  })
  .strict();
export type ResNeXtOptions = z.input<typeof resnextOptions>;

/** Depths mmdetection defines ResNeXt for (bottleneck networks only). */
const RESNEXT_DEPTHS = [50, 101, 152];

/**
 * ResNeXt (Xie et al. 2017) as mmdetection 3 builds it: ResNet with bottlenecks whose 3x3
 * conv is grouped, inner width floor(planes * base_width / base_channels) * groups
 * (ResNeXt-101 64x4d: groups 64, base_width 4). Same keys as ResNet.
 */
export class ResNeXt extends ResNet {
  readonly groups: number;
  readonly baseWidth: number;

  constructor(options: ResNeXtOptions, ctx?: BuildContext) {
    const { groups = 1, base_width: baseWidth = 4, ...rest } = options;
    if (!RESNEXT_DEPTHS.includes(rest.depth)) {
      const detail = `ResNeXt is defined for depths ${RESNEXT_DEPTHS.join(', ')}, got ${rest.depth}`;
      throw ctx ? ctx.error('depth', detail) : new ConfigError('depth', detail);
    }
    super(rest, ctx, { groups, baseWidth });
    this.groups = groups;
    this.baseWidth = baseWidth;
  }
}

BACKBONES.register(resnextOptions, (o: ResNeXtOptions, ctx: BuildContext) => new ResNeXt(o, ctx), {
  name: 'ResNeXt',
  summary: 'ResNeXt-50/101/152 with grouped bottlenecks (groups, base_width), ResNet key layout',
});

// typed TS configs: `{ type: 'ResNeXt', ... }` completes and checks these options
declare module '../../config/config-types' {
  interface BackboneOptionsMap {
    ResNeXt: import('zod').input<typeof resnextOptions>;
  }
}
