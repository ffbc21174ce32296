import { UserError } from '../core/errors';
import { evaluateCoco, IOU_TYPES, type CocoEvalResult, type IouType } from '../evaluation/coco';
import { readJsonFile } from '../evaluation/coco/read-json-file';

export interface EvalCocoOptions {
  gt: string;
  results: string;
  iouType: string;
}

/** pycocotools' COCOeval on a ground-truth file and a results file (`hrdet eval-coco`). */
export function evalCocoFiles(opts: EvalCocoOptions): CocoEvalResult {
  if (!IOU_TYPES.includes(opts.iouType as IouType)) {
    throw new UserError(`--iou-type: expected one of ${IOU_TYPES.join(', ')}, got '${opts.iouType}'`);
  }
  const gt = readJsonFile(opts.gt);
  const results = readJsonFile(opts.results);
  return evaluateCoco(gt, results, opts.iouType as IouType, { gt: opts.gt, results: opts.results });
}

/** The `--json` form: the stats in pycocotools' order and by name. */
export function cocoStatsJson(r: CocoEvalResult): { iou_type: IouType; stats: number[]; stats_named: Record<string, number> } {
  return { iou_type: r.params.iouType, stats: r.stats, stats_named: r.statsNamed };
}
