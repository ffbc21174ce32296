import { describeLoadReport, type LoadReport, type StateDict } from '../core/module';
import { FileError } from '../core/errors';
import type { BaseModel } from '../models/base-model';
import { loadCheckpoint } from '../io/checkpoint';
import { applyKeyMap } from '../io/key-map';

export interface LoadWeightsResult {
  report: LoadReport;
  /** 'mm' when keys matched the model's own (mm*) layout, 'official' when the model's official key map was applied. */
  layout: 'mm' | 'official';
}

function overlap(dict: StateDict, keys: Set<string>): number {
  let n = 0;
  for (const k of dict.keys()) if (keys.has(k)) n++;
  return n;
}

/**
 * Load a checkpoint into a model: mm* layouts directly, official HRNet layouts through the
 * model's documented key map (whichever matches more keys). Missing, unexpected and
 * mismatched keys are reported as PyTorch does; `strict` makes any of them an error.
 */
export async function loadWeights(model: BaseModel, file: string, opts: { strict?: boolean } = {}): Promise<LoadWeightsResult> {
  const { stateDict } = await loadCheckpoint(file);
  return loadStateDictInto(model, stateDict, file, opts);
}

export function loadStateDictInto(model: BaseModel, dict: StateDict, file: string, opts: { strict?: boolean } = {}): LoadWeightsResult {
  const own = new Set([...model.namedState()].map(([k]) => k));
  const rules = model.officialKeyMap();
  let layout: 'mm' | 'official' = 'mm';
  let chosen = dict;
  if (rules.length > 0) {
    const mapped = applyKeyMap(dict, rules, file);
    if (overlap(mapped, own) > overlap(dict, own)) {
      chosen = mapped;
      layout = 'official';
    }
  }
  if (overlap(chosen, own) === 0 && own.size > 0) {
    throw new FileError(file, `no key of this checkpoint matches the model (first checkpoint key '${[...dict.keys()][0] ?? '(none)'}', first model key '${[...own][0]}')`);
  }
  try {
    return { report: model.loadStateDict(chosen, { strict: opts.strict }), layout };
  } catch (e) {
    if (e instanceof Error && e.name === 'StateDictError') throw new FileError(file, `${e.message} (loaded with --strict)`);
    throw e;
  }
}

export { describeLoadReport };
