import { z } from 'zod';
import { ConfigError } from '../../../core/errors';
import type { BuildContext } from '../../../registry/build-context';
import { TASK_UTILS } from '../../../registry/registries';
import { boxCount, type HostGtInstances, type HostIgnoreInstances, type HostPriors } from '../host-boxes';
import { AssignResult } from './assign-result';
import { BboxOverlaps2D } from './bbox-overlaps-2d';

export const maxIoUAssignerOptions = z
  .object({
    pos_iou_thr: z.number(),
    /** A number (negatives: 0 <= IoU < thr) or a [lo, hi) range (mmdetection's tuple). */
    neg_iou_thr: z.union([z.number(), z.tuple([z.number(), z.number()])], {
      errorMap: () => ({ message: 'expected a number or a [lo, hi] range' }),
    }),
    min_pos_iou: z.number().default(0),
    gt_max_assign_all: z.boolean().default(true),
    ignore_iof_thr: z.number().default(-1),
    ignore_wrt_candidates: z.boolean().default(true),
    match_low_quality: z.boolean().default(true),
    /** mmdetection moves assignment to the CPU above this many GTs; hrdet always assigns on the host. */
    gpu_assign_thr: z.number().default(-1),
    iou_calculator: z.object({ type: z.string() }).passthrough().default({ type: 'BboxOverlaps2D' }),
  })
  .strict();
export type MaxIoUAssignerOptions = z.input<typeof maxIoUAssignerOptions>;
type Parsed = z.output<typeof maxIoUAssignerOptions>;

/**
 * mmdetection's MaxIoUAssigner. Each prior takes the GT it overlaps most (the first GT on
 * ties): negative (0) when that IoU is below `neg_iou_thr` (or inside the [lo, hi) range),
 * positive (the GT's 1-based index) at or above `pos_iou_thr`, ignored (-1) in between. With
 * `match_low_quality` every GT whose best IoU reaches `min_pos_iou` then claims its best prior
 * (all priors with that exact IoU when `gt_max_assign_all`), later GTs overwriting earlier
 * ones. Priors whose IoF with an ignore region exceeds `ignore_iof_thr` get IoU -1 with every
 * GT. Runs on host float32 arrays, streaming the IoU matrix one GT row at a time.
 */
export class MaxIoUAssigner {
  readonly posIouThr: number;
  readonly negIouThr: number | readonly [number, number];
  readonly minPosIou: number;
  readonly gtMaxAssignAll: boolean;
  readonly ignoreIofThr: number;
  readonly ignoreWrtCandidates: boolean;
  readonly matchLowQuality: boolean;
  readonly iouCalculator: BboxOverlaps2D;

  constructor(options: MaxIoUAssignerOptions, ctx?: BuildContext) {
    const o: Parsed = maxIoUAssignerOptions.parse(options);
    this.posIouThr = o.pos_iou_thr;
    this.negIouThr = o.neg_iou_thr;
    this.minPosIou = o.min_pos_iou;
    this.gtMaxAssignAll = o.gt_max_assign_all;
    this.ignoreIofThr = o.ignore_iof_thr;
    this.ignoreWrtCandidates = o.ignore_wrt_candidates;
    this.matchLowQuality = o.match_low_quality;
    const calc = ctx ? ctx.build(TASK_UTILS, o.iou_calculator, 'iou_calculator') : buildDefaultCalculator(o.iou_calculator);
    if (!(calc instanceof BboxOverlaps2D)) {
      const detail = `MaxIoUAssigner needs a BboxOverlaps2D iou_calculator, got '${o.iou_calculator.type}'`;
      throw ctx ? ctx.error('iou_calculator.type', detail) : new ConfigError('iou_calculator.type', detail);
    }
    this.iouCalculator = calc;
  }

  assign(pred: HostPriors, gt: HostGtInstances, gtIgnore?: HostIgnoreInstances): AssignResult {
    const n = boxCount(pred.priors, 'MaxIoUAssigner priors');
    const g = boxCount(gt.bboxes, 'MaxIoUAssigner gt bboxes');
    if (gt.labels.length !== g) throw new Error(`MaxIoUAssigner: ${g} GT boxes but ${gt.labels.length} labels`);
    if (g === 0 || n === 0) return emptyResult(g, n);
    const ignored = this.ignoredPriors(pred.priors, gtIgnore);
    const rows = this.iouCalculator.rows(gt.bboxes, pred.priors, 'iou');
    const best = bestOverlaps(rows, ignored);
    const gtInds = new Int32Array(n).fill(-1);
    this.thresholds(best.maxOverlaps, best.argmax, gtInds);
    if (this.matchLowQuality) this.lowQualityMatches(best, gtInds);
    const labels = new Int32Array(n).fill(-1);
    for (let j = 0; j < n; j++) if (gtInds[j] > 0) labels[j] = gt.labels[gtInds[j] - 1];
    return new AssignResult(g, gtInds, best.maxOverlaps, labels);
  }

  /** Negatives below (or inside the range of) neg_iou_thr, positives at or above pos_iou_thr. */
  private thresholds(maxOverlaps: Float32Array, argmax: Int32Array, gtInds: Int32Array): void {
    const [lo, hi] = typeof this.negIouThr === 'number' ? [0, this.negIouThr] : this.negIouThr;
    for (let j = 0; j < gtInds.length; j++) {
      const m = maxOverlaps[j];
      if (m >= lo && m < hi) gtInds[j] = 0;
      if (m >= this.posIouThr) gtInds[j] = argmax[j] + 1;
    }
  }

  private lowQualityMatches(best: Best, gtInds: Int32Array): void {
    for (let i = 0; i < best.gtMax.length; i++) {
      if (!(best.gtMax[i] >= this.minPosIou)) continue;
      if (this.gtMaxAssignAll) for (const j of best.gtArgmaxAll[i]) gtInds[j] = i + 1;
      else gtInds[best.gtArgmaxAll[i][0]] = i + 1;
    }
  }

  /** Priors whose IoF with an ignore region exceeds ignore_iof_thr (null: none). */
  private ignoredPriors(priors: Float32Array, gtIgnore?: HostIgnoreInstances): Uint8Array | null {
    if (!(this.ignoreIofThr > 0) || !gtIgnore || gtIgnore.bboxes.length === 0) return null;
    const n = priors.length / 4;
    const best = new Float32Array(n).fill(-Infinity);
    if (this.ignoreWrtCandidates) {
      // IoF over the prior's own area, max over the ignore regions
      const rows = this.iouCalculator.rows(priors, gtIgnore.bboxes, 'iof');
      for (let j = 0; j < n; j++) for (const v of rows.row(j)) if (v > best[j]) best[j] = v;
    } else {
      const rows = this.iouCalculator.rows(gtIgnore.bboxes, priors, 'iof');
      for (let k = 0; k < rows.rows; k++) {
        const row = rows.row(k);
        for (let j = 0; j < n; j++) if (row[j] > best[j]) best[j] = row[j];
      }
    }
    const ignored = new Uint8Array(n);
    for (let j = 0; j < n; j++) ignored[j] = best[j] > this.ignoreIofThr ? 1 : 0;
    return ignored;
  }
}

interface RowSource {
  readonly rows: number;
  row(i: number): Float32Array;
}

interface Best {
  /** per prior: max over GTs and the first GT reaching it */
  maxOverlaps: Float32Array;
  argmax: Int32Array;
  /** per GT: max over priors and every prior reaching it, ascending */
  gtMax: Float32Array;
  gtArgmaxAll: Int32Array[];
}

/**
 * torch `max(dim=0)` and `max(dim=1)` of the IoU matrix (ignored priors read as -1), first
 * index on ties, in one pass over the rows; each GT also keeps all priors tied at its max
 * (what gt_max_assign_all needs), so no row is computed twice.
 */
function bestOverlaps(rows: RowSource, ignored: Uint8Array | null): Best {
  const g = rows.rows;
  let maxOverlaps: Float32Array | null = null;
  let argmax: Int32Array | null = null;
  const gtMax = new Float32Array(g);
  const gtArgmaxAll: Int32Array[] = [];
  let ties = new Int32Array(0);
  for (let i = 0; i < g; i++) {
    const row = rows.row(i);
    if (ignored) for (let j = 0; j < row.length; j++) if (ignored[j]) row[j] = -1;
    if (!maxOverlaps || !argmax) {
      maxOverlaps = Float32Array.from(row);
      argmax = new Int32Array(row.length);
      ties = new Int32Array(row.length);
    } else {
      for (let j = 0; j < row.length; j++) {
        if (row[j] > maxOverlaps[j]) {
          maxOverlaps[j] = row[j];
          argmax[j] = i;
        }
      }
    }
    let m = row[0];
    let count = 1;
    ties[0] = 0;
    for (let j = 1; j < row.length; j++) {
      const v = row[j];
      if (v > m) {
        m = v;
        count = 0;
      }
      if (v === m) ties[count++] = j;
    }
    gtMax[i] = m;
    gtArgmaxAll.push(ties.slice(0, count));
  }
  return { maxOverlaps: maxOverlaps!, argmax: argmax!, gtMax, gtArgmaxAll };
}

/** mmdetection's result with no GT (every prior negative) or no priors. */
function emptyResult(numGts: number, n: number): AssignResult {
  return new AssignResult(numGts, new Int32Array(n).fill(numGts === 0 ? 0 : -1), new Float32Array(n), new Int32Array(n).fill(-1));
}

function buildDefaultCalculator(cfg: { type: string; [k: string]: unknown }): unknown {
  const { type, ...rest } = cfg;
  if (type !== 'BboxOverlaps2D') return null;
  return new BboxOverlaps2D(rest as { scale?: number; dtype?: string | null });
}

TASK_UTILS.register(maxIoUAssignerOptions, (o: MaxIoUAssignerOptions, ctx: BuildContext) => new MaxIoUAssigner(o, ctx), {
  name: 'MaxIoUAssigner',
  summary: 'assigns each prior to the GT of highest IoU (mmdetection thresholds, low-quality matches, ignore regions)',
});
