import { UserError } from '../../core/errors';
import { withEngine } from '../../core/engine-context';
import type { Parameter } from '../../core/parameter';
import type { TfjsEngine } from '../../engines/tfjs/tfjs-engine';
import type { BaseModel } from '../../models/base-model';
import type { DataBatch, ModelBatch } from '../../models/data-preprocessors/data-preprocessor';
import type { OptimWrapper } from '../optim/optim-wrapper';
import { parseLosses } from '../parse-losses';

/** What one training iteration logs: the total `loss` and every term the model returned. */
export interface TrainStepResult {
  outputs: Record<string, number>;
  /** Whether the optimizer stepped (gradient accumulation skips some iterations). */
  stepped: boolean;
  gradNorm?: number;
}

/** The trainable parameters of a model by state-dict name (frozen ones have requiresGrad false). */
export function trainableParameters(model: BaseModel): Map<string, Parameter> {
  return new Map([...model.namedParameters()].filter(([, p]) => p.requiresGrad));
}

/** The model's data preprocessor on a loader batch (mmengine's `data_preprocessor(data, training)`). */
export function preprocess(model: BaseModel, batch: DataBatch, training: boolean): ModelBatch {
  if (!model.dataPreprocessor) throw new UserError(`${model.constructor.name} has no data_preprocessor: set model.data_preprocessor in the config`);
  return model.dataPreprocessor.process(batch, training);
}

/**
 * mmengine's `train_step` on the tfjs engine: preprocess, `loss` mode, the summed loss's
 * gradients for the trainable parameters, then one `update` of the optimizer wrapper. Every
 * intermediate tensor is freed before it returns. A loss term that is not finite stops training
 * with the iteration and the term named (nothing is updated with it).
 */
export function trainStep(model: BaseModel, batch: DataBatch, wrapper: OptimWrapper, engine: TfjsEngine, params: ReadonlyMap<string, Parameter>, iter: number): TrainStepResult {
  return engine.tidy(() =>
    withEngine(engine, () => {
      const data = preprocess(model, batch, true);
      const terms = new Map<string, number>();
      const { value, grads } = engine.valueAndGrads(() => {
        const { total, terms: named } = parseLosses(model.forward(data.inputs, data.data_samples, 'loss'));
        for (const [k, v] of named) terms.set(k, engine.readSync(v).data[0] as number);
        return total;
      }, params);
      const loss = engine.readSync(value).data[0] as number;
      for (const [k, v] of [['loss', loss] as const, ...terms]) {
        if (!Number.isFinite(v)) {
          throw new UserError(`training diverged at iteration ${iter + 1}: '${k}' is ${v}; lower the learning rate or add clip_grad to optim_wrapper`);
        }
      }
      const r = wrapper.update(grads);
      return { outputs: { loss, ...Object.fromEntries(terms) }, stepped: r.stepped, ...(r.gradNorm === undefined ? {} : { gradNorm: r.gradNorm }) };
    }),
  );
}
