import { LOOPS } from '../../registry/registries';
import { EvalLoop, evalLoopParts, type EvalLoopParts } from './eval-loop';

/** mmengine's TestLoop (see EvalLoop). */
export class TestLoop extends EvalLoop {
  readonly mode = 'test' as const;
}

LOOPS.register(evalLoopParts, (o: EvalLoopParts) => new TestLoop(o.runner, o.dataloader, o.evaluator), {
  name: 'TestLoop',
  summary: 'mmengine test loop: predict over test_dataloader, metrics of test_evaluator',
});
