import { LOOPS } from '../../registry/registries';
import { EvalLoop, evalLoopParts, type EvalLoopParts } from './eval-loop';

/** mmengine's ValLoop (see EvalLoop). */
export class ValLoop extends EvalLoop {
  readonly mode = 'val' as const;
}

LOOPS.register(evalLoopParts, (o: EvalLoopParts) => new ValLoop(o.runner, o.dataloader, o.evaluator), {
  name: 'ValLoop',
  summary: 'mmengine validation loop: predict over val_dataloader, metrics of val_evaluator',
});
