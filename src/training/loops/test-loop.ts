import { z } from 'zod';
import { LOOPS } from '../../registry/registries';
import type { DataLoader } from '../../data/loader';
import type { Evaluator } from '../../evaluation/metrics/evaluator';
import type { Runner } from '../runner/runner';
import { EvalLoop } from './eval-loop';
import { evalLoopSchema } from './val-loop';

const withParts = evalLoopSchema.extend({ runner: z.custom<Runner>(), dataloader: z.custom<DataLoader>(), evaluator: z.custom<Evaluator>() });
type Parts = z.output<typeof withParts>;

/** mmengine's TestLoop (see EvalLoop). */
export class TestLoop extends EvalLoop {
  readonly mode = 'test' as const;
}

LOOPS.register(withParts, (o: Parts) => new TestLoop(o.runner, o.dataloader, o.evaluator), {
  name: 'TestLoop',
  summary: 'mmengine test loop: predict over test_dataloader, metrics of test_evaluator',
});
