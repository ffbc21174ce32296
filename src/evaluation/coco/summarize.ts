import { npMean } from './numeric';
import type { Accumulated } from './accumulate';
import type { CocoEvalParams, IouType } from './params';

/** One line of COCOeval.summarize(). */
export interface SummaryEntry {
  name: string;
  ap: boolean;
  iouThr: number | null;
  areaRng: string;
  maxDets: number;
  value: number;
}

export const DET_STAT_NAMES = ['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10', 'AR100', 'ARs', 'ARm', 'ARl'];
export const KPT_STAT_NAMES = ['AP', 'AP50', 'AP75', 'APm', 'APl', 'AR', 'AR50', 'AR75', 'ARm', 'ARl'];

type Spec = [name: string, ap: boolean, iouThr: number | null, areaRng: string, maxDets: number];

/** The 12 (bbox, segm) or 10 (keypoints) summary numbers in COCOeval's order. */
export function summarize(acc: Accumulated, p: CocoEvalParams): SummaryEntry[] {
  return statSpecs(p.iouType, p.maxDets).map(([name, ap, iouThr, areaRng, maxDets]) => ({
    name,
    ap,
    iouThr,
    areaRng,
    maxDets,
    value: summaryValue(acc, p, ap, iouThr, areaRng, maxDets),
  }));
}

function statSpecs(iouType: IouType, maxDets: number[]): Spec[] {
  if (iouType === 'keypoints') {
    return [
      ['AP', true, null, 'all', 20],
      ['AP50', true, 0.5, 'all', 20],
      ['AP75', true, 0.75, 'all', 20],
      ['APm', true, null, 'medium', 20],
      ['APl', true, null, 'large', 20],
      ['AR', false, null, 'all', 20],
      ['AR50', false, 0.5, 'all', 20],
      ['AR75', false, 0.75, 'all', 20],
      ['ARm', false, null, 'medium', 20],
      ['ARl', false, null, 'large', 20],
    ];
  }
  // COCOeval's defaults: AP at maxDets=100 whatever the list, the rest at maxDets[0..2]
  const [m0, m1, m2] = [maxDets[0], maxDets[1], maxDets[2]];
  return [
    ['AP', true, null, 'all', 100],
    ['AP50', true, 0.5, 'all', m2],
    ['AP75', true, 0.75, 'all', m2],
    ['APs', true, null, 'small', m2],
    ['APm', true, null, 'medium', m2],
    ['APl', true, null, 'large', m2],
    ['AR1', false, null, 'all', m0],
    ['AR10', false, null, 'all', m1],
    ['AR100', false, null, 'all', m2],
    ['ARs', false, null, 'small', m2],
    ['ARm', false, null, 'medium', m2],
    ['ARl', false, null, 'large', m2],
  ];
}

/**
 * COCOeval's `_summarize`: the mean of the entries > -1 of the selected slice (IoU thresholds,
 * recall thresholds for AP, categories), -1 when there is none. A threshold or maxDets value
 * absent from the params selects nothing.
 */
function summaryValue(acc: Accumulated, p: CocoEvalParams, ap: boolean, iouThr: number | null, areaRng: string, maxDets: number): number {
  const { T, R, K, A, M } = acc.shape;
  const aind = p.areaRngLbl.indexOf(areaRng);
  const mind = p.maxDets.indexOf(maxDets);
  if (aind < 0 || mind < 0) return -1;
  const tSel = iouThr === null ? [...Array(T).keys()] : [...Array(T).keys()].filter((t) => p.iouThrs[t] === iouThr);
  const kept: number[] = [];
  for (const t of tSel) {
    if (ap) {
      for (let r = 0; r < R; r++)
        for (let k = 0; k < K; k++) {
          const v = acc.precision[(((t * R + r) * K + k) * A + aind) * M + mind];
          if (v > -1) kept.push(v);
        }
    } else {
      for (let k = 0; k < K; k++) {
        const v = acc.recall[((t * K + k) * A + aind) * M + mind];
        if (v > -1) kept.push(v);
      }
    }
  }
  return kept.length === 0 ? -1 : npMean(kept);
}

/** Python's `'{:0.3f}'.format(v)`: round half to even on the exact binary value. */
export function formatFixed3(v: number): string {
  const s = v.toFixed(3);
  // toFixed rounds exact ties away from zero; Python picks the even neighbour
  const exact = v.toFixed(30).replace(/0+$/, '');
  const frac = exact.split('.')[1] ?? '';
  if (frac.length === 4 && frac.endsWith('5')) {
    const lastKept = Number(s[s.length - 1]);
    if (lastKept % 2 === 1) return (Math.sign(v) * (Math.abs(Number(s)) - 0.001)).toFixed(3);
  }
  return s;
}

/** The summary as COCOeval.summarize() prints it. */
export function formatSummary(entries: readonly SummaryEntry[], p: CocoEvalParams): string {
  const range = `${p.iouThrs[0].toFixed(2)}:${p.iouThrs[p.iouThrs.length - 1].toFixed(2)}`;
  return entries
    .map((e) => {
      const title = e.ap ? 'Average Precision' : 'Average Recall';
      const type = e.ap ? '(AP)' : '(AR)';
      const iou = (e.iouThr === null ? range : e.iouThr.toFixed(2)).padEnd(9);
      return ` ${title.padEnd(18)} ${type} @[ IoU=${iou} | area=${e.areaRng.padStart(6)} | maxDets=${String(e.maxDets).padStart(3)} ] = ${formatFixed3(e.value)}`;
    })
    .join('\n');
}
