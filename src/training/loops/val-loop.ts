import { z } from 'zod';
import { LOOPS } from '../../registry/registries';
import type { DataLoader } from '../../data/loader';
import type { Evaluator } from '../../evaluation/metrics/evaluator';
import type { Runner } from '../runner/runner';
import { EvalLoop } from './eval-loop';

/** float16 inference is not available on tfjs: only `fp16: false`. */
export const evalLoopSchema = z.object({ fp16: z.literal(false).default(false) }).strict();
const withParts = evalLoopSchema.extend({ runner: z.custom<Runner>(), dataloader: z.custom<DataLoader>(), evaluator: z.custom<Evaluator>() });
type Parts = z.output<typeof withParts>;

/** mmengine's ValLoop (see EvalLoop). */
export class ValLoop extends EvalLoop {
  readonly mode = 'val' as const;
}

LOOPS.register(withParts, (o: Parts) => new ValLoop(o.runner, o.dataloader, o.evaluator), {
  name: 'ValLoop',
  summary: 'mmengine validation loop: predict over val_dataloader, metrics of val_evaluator',
});
