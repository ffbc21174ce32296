import { ConfigError } from '../../core/errors';
import { accumulate, type Accumulated } from './accumulate';
import { CocoGroundTruth } from './coco-ground-truth';
import { loadCocoResults } from './coco-results';
import type { CocoDetection } from './coco-types';
import { computeIou } from './compute-iou';
import { evaluateImage, type EvalImage } from './evaluate-image';
import { argsortDescending } from './numeric';
import { defaultParams, type CocoEvalParams, type IouType } from './params';
import { prepare } from './prepare';
import { DET_STAT_NAMES, formatSummary, KPT_STAT_NAMES, summarize, type SummaryEntry } from './summarize';

export interface CocoEvalResult {
  params: CocoEvalParams;
  /** The summary numbers in COCOeval's order. */
  stats: number[];
  statsNamed: Record<string, number>;
  summary: SummaryEntry[];
  accumulated: Accumulated;
  /** The table COCOeval.summarize() prints. */
  table: string;
}

/**
 * pycocotools' COCOeval: `evaluate()` (per image and category: IoUs, then greedy matching per
 * area range), `accumulate()`, `summarize()`, with pycocotools' params unless overridden.
 */
export class CocoEval {
  readonly params: CocoEvalParams;

  constructor(
    readonly gt: CocoGroundTruth,
    readonly dts: readonly CocoDetection[],
    iouType: IouType,
    overrides: Partial<Omit<CocoEvalParams, 'iouType'>> = {},
  ) {
    const catIds =
      iouType === 'keypoints'
        ? gt.sortedCategoryIds().filter((id) => gt.categories.get(id)!.keypoints !== undefined)
        : gt.sortedCategoryIds();
    const base = defaultParams(iouType, [...gt.images.keys()], catIds);
    const p = { ...base, ...overrides, iouType };
    // COCOeval.evaluate: unique sorted ids, sorted maxDets
    p.imgIds = [...new Set(p.imgIds)].sort((a, b) => a - b);
    p.catIds = [...new Set(p.catIds)].sort((a, b) => a - b);
    p.maxDets = [...p.maxDets].sort((a, b) => a - b);
    if (p.maxDets.length === 0) throw new ConfigError('maxDets', 'expected at least one value');
    this.params = p;
  }

  /** Per-image records in COCOeval's `evalImgs` order (category, area range, image). */
  evaluate(): (EvalImage | null)[] {
    const p = this.params;
    const { cells, numCats } = prepare(this.gt, this.dts, p);
    const maxDet = p.maxDets[p.maxDets.length - 1];
    const I = p.imgIds.length;
    const A = p.areaRng.length;
    const out: (EvalImage | null)[] = new Array(numCats * A * I).fill(null);
    for (const [key, cell] of cells) {
      const i = Math.floor(key / numCats);
      const k = key % numCats;
      const order = argsortDescending(cell.dts.map((d) => d.score));
      const dts = order.slice(0, maxDet).map((j) => cell.dts[j]);
      const scores = dts.map((d) => d.score);
      const ious = computeIou(cell.gts, dts, p);
      for (let a = 0; a < A; a++) {
        out[(k * A + a) * I + i] = evaluateImage(cell.gts, dts, scores, ious, p.areaRng[a], p.iouThrs);
      }
    }
    return out;
  }

  /** evaluate, accumulate and summarize. */
  run(): CocoEvalResult {
    const accumulated = accumulate(this.evaluate(), this.params);
    const summary = summarize(accumulated, this.params);
    const names = this.params.iouType === 'keypoints' ? KPT_STAT_NAMES : DET_STAT_NAMES;
    const stats = summary.map((s) => s.value);
    const statsNamed = Object.fromEntries(names.map((n, i) => [n, stats[i]]));
    return { params: this.params, stats, statsNamed, summary, accumulated, table: formatSummary(summary, this.params) };
  }
}

/** Evaluate COCO-format results (`loadRes` input) against a COCO ground-truth object. */
export function evaluateCoco(
  gtJson: unknown,
  resultsJson: unknown,
  iouType: IouType,
  sources: { gt?: string; results?: string } = {},
  overrides: Partial<Omit<CocoEvalParams, 'iouType'>> = {},
): CocoEvalResult {
  const gt = gtJson instanceof CocoGroundTruth ? gtJson : new CocoGroundTruth(gtJson as never, sources.gt);
  const dts = loadCocoResults(gt, resultsJson, iouType, sources.results);
  return new CocoEval(gt, dts, iouType, overrides).run();
}
