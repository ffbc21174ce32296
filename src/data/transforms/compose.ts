import { TRANSFORMS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import type { Results, Transform } from './results';

/**
 * mmcv's Compose: the transforms in order; a transform returning null drops the sample, and
 * Compose returns null then.
 */
export class Compose implements Transform {
  constructor(readonly transforms: readonly Transform[]) {}

  async transform(results: Results): Promise<Results | null> {
    let r: Results | null = results;
    for (const t of this.transforms) {
      r = await t.transform(r);
      if (r === null) return null;
    }
    return r;
  }
}

/** Build a config's `pipeline` list through TRANSFORMS (`key` names it in errors). */
export function buildPipeline(cfgs: readonly unknown[], ctx: BuildContext, key = 'pipeline'): Compose {
  return new Compose(cfgs.map((c, i) => ctx.build(TRANSFORMS, c, `${key}.${i}`) as Transform));
}
