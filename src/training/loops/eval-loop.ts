import { z } from 'zod';
import { withEngine } from '../../core/engine-context';
import type { DataLoader } from '../../data/loader';
import type { Evaluator } from '../../evaluation/metrics/evaluator';
import { metricSampleOf } from '../../evaluation/metrics/metric-sample-of';
import type { DataBatch } from '../../models/data-preprocessors/data-preprocessor';
import type { Runner } from '../runner/runner';
import { preprocess } from '../runner/train-step';
import { BaseLoop } from './base-loop';

/** float16 inference is not available on tfjs: only `fp16: false`. */
export const evalLoopSchema = z.object({ fp16: z.literal(false).default(false) }).strict();
/** What the runner passes besides the config's options. */
export const evalLoopParts = evalLoopSchema.extend({ runner: z.custom<Runner>(), dataloader: z.custom<DataLoader>(), evaluator: z.custom<Evaluator>() });
export type EvalLoopParts = z.output<typeof evalLoopParts>;

/**
 * mmengine's ValLoop and TestLoop: the model in eval mode over the whole loader in `predict`
 * mode, every batch's predictions fed to the evaluator, then its metrics over the dataset.
 * Intermediate tensors are freed batch by batch; predictions reach the metrics as host values.
 */
export abstract class EvalLoop extends BaseLoop {
  abstract readonly mode: 'val' | 'test';

  constructor(
    runner: Runner,
    dataloader: DataLoader,
    readonly evaluator: Evaluator,
  ) {
    super(runner, dataloader);
    evaluator.datasetMeta = dataloader.dataset.metainfo;
  }

  async run(): Promise<Record<string, unknown>> {
    const r = this.runner;
    const cap = this.mode === 'val' ? 'Val' : 'Test';
    await r.callHook(`before${cap}`);
    await r.callHook(`before${cap}Epoch`);
    r.model.eval();
    let idx = 0;
    for await (const batch of this.dataloader.batches(0)) {
      await r.callHook(`before${cap}Iter`, idx, batch);
      const outputs = this.predict(batch);
      this.evaluator.process(outputs.map(metricSampleOf), batch);
      await r.callHook(`after${cap}Iter`, idx, batch, outputs);
      idx++;
    }
    const metrics = await this.evaluator.evaluate(this.dataloader.dataset.length);
    await r.callHook(`after${cap}Epoch`, metrics);
    await r.callHook(`after${cap}`);
    return metrics;
  }

  private predict(batch: DataBatch) {
    const { model, engine } = this.runner;
    return engine.tidy(() =>
      withEngine(engine, () => {
        const data = preprocess(model, batch, false);
        return model.forward(data.inputs, data.data_samples, 'predict');
      }),
    );
  }
}
