import { ConfigError } from '../../core/errors';
import { accumulateCategory, emptyAccumulated, type Accumulated } from './accumulate';
import { CocoGroundTruth } from './coco-ground-truth';
import { loadCocoResults } from './coco-results';
import type { CocoDetection } from './coco-types';
import { evaluateCategory } from './category-table';
import { defaultParams, type CocoEvalParams, type IouType } from './params';
import { prepare, type Cell } from './prepare';
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

  /**
   * COCOeval's evaluate and accumulate, one category at a time: a category's matching
   * outcomes are accumulated and dropped before the next, so memory stays that of one category.
   */
  accumulate(): Accumulated {
    const p = this.params;
    const { cells, numCats } = prepare(this.gt, this.dts, p);
    const byCategory: { i: number; cell: Cell }[][] = Array.from({ length: numCats }, () => []);
    for (const [key, cell] of cells) byCategory[key % numCats].push({ i: Math.floor(key / numCats), cell });
    const acc = emptyAccumulated(p);
    for (let k = 0; k < numCats; k++) {
      const cellsOfK = byCategory[k].sort((x, y) => x.i - y.i);
      accumulateCategory(evaluateCategory(cellsOfK, p), k, p, acc);
    }
    return acc;
  }

  /** evaluate, accumulate and summarize. */
  run(): CocoEvalResult {
    const accumulated = this.accumulate();
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
