import * as F from '../../../core/ops';
import type { Tensor } from '../../../core/tensor';
import type { BuildContext } from '../../../registry/build-context';
import { HEADS } from '../../../registry/registries';
import { FCNMaskHead } from './fcn-mask-head';
import { SingleRoIExtractor } from './single-roi-extractor';

/** Builds the mask head at config path `key`; anything but an FCNMaskHead is a config error there. */
export function buildMaskHead(cfg: Record<string, unknown>, ctx: BuildContext, key: string): FCNMaskHead {
  const head = ctx.build(HEADS, cfg, key);
  if (!(head instanceof FCNMaskHead)) throw ctx.error(`${key}.type`, 'the mask branch needs an FCNMaskHead');
  return head;
}

/** Builds a RoI extractor at config path `key` (a SingleRoIExtractor). */
export function buildRoIExtractor(cfg: Record<string, unknown>, ctx: BuildContext, key: string): SingleRoIExtractor {
  const ex = ctx.build(HEADS, cfg, key);
  if (!(ex instanceof SingleRoIExtractor)) throw ctx.error(`${key}.type`, 'a RoI head needs a SingleRoIExtractor');
  return ex;
}

/** An empty [0, h, w] float32 tensor: the masks of an image without detections. */
export const emptyRows = ([h, w]: readonly [number, number]): Tensor => F.constant({ dtype: 'float32', shape: [0, h, w], data: new Float32Array(0) });
