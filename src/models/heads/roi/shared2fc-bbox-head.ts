import type { z } from 'zod';
import type { BuildContext } from '../../../registry/build-context';
import { HEADS } from '../../../registry/registries';
import { ConvFCBBoxHead, convFCBBoxHeadOptions } from './convfc-bbox-head';

/** Shared2FCBBoxHead sets the layer counts itself; giving them is an error, as in mmdetection. */
export const shared2FCBBoxHeadOptions = convFCBBoxHeadOptions.omit({
  num_shared_convs: true,
  num_shared_fcs: true,
  num_cls_convs: true,
  num_cls_fcs: true,
  num_reg_convs: true,
  num_reg_fcs: true,
});
export type Shared2FCBBoxHeadOptions = z.input<typeof shared2FCBBoxHeadOptions>;

/** mmdetection's Shared2FCBBoxHead: a ConvFCBBoxHead with two shared fcs (`shared_fcs.0`, `shared_fcs.1`) and nothing else. */
export class Shared2FCBBoxHead extends ConvFCBBoxHead {}

HEADS.register(
  shared2FCBBoxHeadOptions,
  (o: z.output<typeof shared2FCBBoxHeadOptions>, ctx: BuildContext) =>
    new Shared2FCBBoxHead({ ...o, num_shared_convs: 0, num_shared_fcs: 2, num_cls_convs: 0, num_cls_fcs: 0, num_reg_convs: 0, num_reg_fcs: 0 }, ctx),
  { name: 'Shared2FCBBoxHead', summary: 'R-CNN box head with two shared fcs (mmdetection Faster R-CNN default)' },
);

declare module '../../../config/config-types' {
  interface HeadOptionsMap {
    Shared2FCBBoxHead: import('zod').input<typeof shared2FCBBoxHeadOptions>;
  }
}
