import { expect } from 'chai';
import { ConfigError } from '../../../../src/core/errors';
import { Random } from '../../../../src/core/random';
import { MaxIoUAssigner, type MaxIoUAssignerOptions } from '../../../../src/models/task-modules/assigners/max-iou-assigner';
import { boxes, buildTaskUtil, errorOf } from '../helpers';

const f = Math.fround;

/** float32 IoU of two boxes, written out on its own (mmdetection's order of operations). */
function iou32(a: ArrayLike<number>, b: ArrayLike<number>, mode: 'iou' | 'iof' = 'iou'): number {
  const area = (x: ArrayLike<number>) => f(f(x[2] - x[0]) * f(x[3] - x[1]));
  const w = Math.max(f(Math.min(a[2], b[2]) - Math.max(a[0], b[0])), 0);
  const h = Math.max(f(Math.min(a[3], b[3]) - Math.max(a[1], b[1])), 0);
  const inter = f(w * h);
  const union = Math.max(mode === 'iof' ? area(a) : f(f(area(a) + area(b)) - inter), f(1e-6));
  return f(inter / union);
}

const row = (b: Float32Array, i: number) => b.subarray(4 * i, 4 * i + 4);

/** mmdetection's assign_wrt_overlaps over a full G x N matrix, the plain way. */
function referenceAssign(o: Required<Omit<MaxIoUAssignerOptions, 'iou_calculator' | 'gpu_assign_thr'>>, priors: Float32Array, gts: Float32Array, labels: number[], ignore?: Float32Array) {
  const [n, g] = [priors.length / 4, gts.length / 4];
  const ov = Array.from({ length: g }, (_, i) => Array.from({ length: n }, (_, j) => iou32(row(gts, i), row(priors, j))));
  if (ignore && ignore.length > 0 && o.ignore_iof_thr > 0) {
    for (let j = 0; j < n; j++) {
      let m = -Infinity;
      for (let k = 0; k < ignore.length / 4; k++) {
        m = Math.max(m, o.ignore_wrt_candidates ? iou32(row(priors, j), row(ignore, k), 'iof') : iou32(row(ignore, k), row(priors, j), 'iof'));
      }
      if (m > o.ignore_iof_thr) for (let i = 0; i < g; i++) ov[i][j] = -1;
    }
  }
  const inds = new Array(n).fill(-1);
  const maxOv: number[] = [];
  for (let j = 0; j < n; j++) {
    let best = 0;
    for (let i = 1; i < g; i++) if (ov[i][j] > ov[best][j]) best = i;
    const m = ov[best][j];
    maxOv.push(m);
    const [lo, hi] = typeof o.neg_iou_thr === 'number' ? [0, o.neg_iou_thr] : o.neg_iou_thr;
    if (m >= lo && m < hi) inds[j] = 0;
    if (m >= o.pos_iou_thr) inds[j] = best + 1;
  }
  if (o.match_low_quality) {
    for (let i = 0; i < g; i++) {
      const m = Math.max(...ov[i]);
      if (m < o.min_pos_iou) continue;
      if (o.gt_max_assign_all) ov[i].forEach((v, j) => v === m && (inds[j] = i + 1));
      else inds[ov[i].indexOf(m)] = i + 1;
    }
  }
  return { gtInds: inds, maxOverlaps: maxOv, labels: inds.map((k) => (k > 0 ? labels[k - 1] : -1)) };
}

const defaults = { min_pos_iou: 0, gt_max_assign_all: true, ignore_iof_thr: -1, ignore_wrt_candidates: true, match_low_quality: true };

/** Boxes on an integer grid: many exact ties in IoU. */
function gridBoxes(n: number, r: Random, span = 20): Float32Array {
  const out = new Float32Array(4 * n);
  for (let i = 0; i < n; i++) {
    const [x, y] = [r.int(span), r.int(span)];
    out.set([x, y, x + 1 + r.int(6), y + 1 + r.int(6)], 4 * i);
  }
  return out;
}

describe('MaxIoUAssigner', () => {
  const assigner = (o: MaxIoUAssignerOptions) => new MaxIoUAssigner(o);
  const priors = boxes([[0, 0, 10, 10], [10, 10, 20, 20], [5, 5, 15, 15], [32, 32, 38, 42]]);
  const gt = { bboxes: boxes([[0, 0, 10, 9], [0, 10, 10, 19]]), labels: Int32Array.of(2, 3) };

  it("mmdetection's unit case: positive, negatives, and a low-quality match for the second GT", () => {
    const r = assigner({ pos_iou_thr: 0.5, neg_iou_thr: 0.5 }).assign({ priors }, gt);
    expect(r.numGts).to.equal(2);
    expect(Array.from(r.gtInds)).to.deep.equal([1, 0, 2, 0]);
    expect(Array.from(r.labels)).to.deep.equal([2, -1, 3, -1]);
    expect(r.maxOverlaps[0]).to.equal(f(0.9));
    // without low-quality matching prior 2 (IoU 25/165 with GT 1) is a plain negative
    expect(Array.from(assigner({ pos_iou_thr: 0.5, neg_iou_thr: 0.5, match_low_quality: false }).assign({ priors }, gt).gtInds)).to.deep.equal([1, 0, 0, 0]);
    // min_pos_iou above that IoU blocks the match
    expect(Array.from(assigner({ pos_iou_thr: 0.5, neg_iou_thr: 0.5, min_pos_iou: 0.2 }).assign({ priors }, gt).gtInds)).to.deep.equal([1, 0, 0, 0]);
  });

  it('ignore regions: IoF with respect to the ignore box or to the candidate', () => {
    const p = boxes([[0, 0, 10, 10], [10, 10, 20, 20], [5, 5, 15, 15], [30, 32, 40, 42], [31, 31, 33, 33]]);
    const ignore = { bboxes: boxes([[30, 30, 40, 40]]) };
    const wrtIgnore = assigner({ pos_iou_thr: 0.5, neg_iou_thr: 0.5, ignore_iof_thr: 0.5, ignore_wrt_candidates: false }).assign({ priors: p }, gt, ignore);
    // prior 3 covers 80% of the ignore box; prior 4 (inside it) only 4%
    expect(Array.from(wrtIgnore.gtInds)).to.deep.equal([1, 0, 2, -1, 0]);
    expect(wrtIgnore.maxOverlaps[3]).to.equal(-1);
    const wrtPrior = assigner({ pos_iou_thr: 0.5, neg_iou_thr: 0.5, ignore_iof_thr: 0.5 }).assign({ priors: p }, gt, ignore);
    expect(Array.from(wrtPrior.gtInds)).to.deep.equal([1, 0, 2, -1, -1]);
    // ignore_iof_thr <= 0 switches it off
    expect(Array.from(assigner({ pos_iou_thr: 0.5, neg_iou_thr: 0.5 }).assign({ priors: p }, gt, ignore).gtInds)).to.deep.equal([1, 0, 2, 0, 0]);
  });

  it('no GT: every prior negative; no priors: empty result', () => {
    const none = { bboxes: new Float32Array(0), labels: new Int32Array(0) };
    const r = assigner({ pos_iou_thr: 0.5, neg_iou_thr: 0.5 }).assign({ priors }, none);
    expect([r.numGts, ...r.gtInds]).to.deep.equal([0, 0, 0, 0, 0]);
    expect(Array.from(r.labels)).to.deep.equal([-1, -1, -1, -1]);
    expect(Array.from(r.maxOverlaps)).to.deep.equal([0, 0, 0, 0]);
    const e = assigner({ pos_iou_thr: 0.5, neg_iou_thr: 0.5 }).assign({ priors: new Float32Array(0) }, gt);
    expect([e.numGts, e.numPriors]).to.deep.equal([2, 0]);
    expect(assigner({ pos_iou_thr: 0.5, neg_iou_thr: 0.5 }).assign({ priors: new Float32Array(0) }, none).numPriors).to.equal(0);
  });

  it('a negative range (lo, hi): IoU below lo stays ignored', () => {
    const p = boxes([[0, 0, 10, 10], [0, 0, 10, 2], [8, 0, 18, 10], [50, 50, 60, 60]]);
    const g = { bboxes: boxes([[0, 0, 10, 10]]), labels: Int32Array.of(0) };
    // IoUs 1, 0.2, 20/180, 0
    const r = assigner({ pos_iou_thr: 0.7, neg_iou_thr: [0.1, 0.3], match_low_quality: false }).assign({ priors: p }, g);
    expect(Array.from(r.gtInds)).to.deep.equal([1, 0, 0, -1]);
    const r2 = assigner({ pos_iou_thr: 0.7, neg_iou_thr: [0.15, 0.3], match_low_quality: false }).assign({ priors: p }, g);
    expect(Array.from(r2.gtInds)).to.deep.equal([1, 0, -1, -1]);
  });

  it('ties: the first GT wins a prior; all tied priors (or only the first) go to a GT; later GTs overwrite', () => {
    const p = boxes([[0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 50, 10]]);
    // GT 0 and GT 1 overlap prior 0 equally (IoU 0.5); GT 2 overlaps priors 1 and 2 equally (IoU 0.2, negative)
    const g = { bboxes: boxes([[0, 0, 5, 10], [5, 0, 10, 10], [25, 0, 45, 10]]), labels: Int32Array.of(7, 8, 9) };
    const all = assigner({ pos_iou_thr: 0.5, neg_iou_thr: 0.3, match_low_quality: false }).assign({ priors: p }, g);
    expect(Array.from(all.gtInds)).to.deep.equal([1, 0, 0]);
    const low = assigner({ pos_iou_thr: 0.5, neg_iou_thr: 0.3 }).assign({ priors: p }, g);
    // low quality: GT 1's best prior is prior 0 too (later GT overwrites); GT 2 takes both tied priors
    expect(Array.from(low.gtInds)).to.deep.equal([2, 3, 3]);
    expect(Array.from(low.labels)).to.deep.equal([8, 9, 9]);
    const first = assigner({ pos_iou_thr: 0.5, neg_iou_thr: 0.3, gt_max_assign_all: false }).assign({ priors: p }, g);
    expect(Array.from(first.gtInds)).to.deep.equal([2, 3, 0]);
  });

  it('matches the plain full-matrix formulation on integer-grid boxes (many ties), every option', () => {
    const r = new Random(11);
    const cases: Parameters<typeof referenceAssign>[0][] = [
      { ...defaults, pos_iou_thr: 0.5, neg_iou_thr: 0.4 },
      { ...defaults, pos_iou_thr: 0.7, neg_iou_thr: 0.3, min_pos_iou: 0.3 },
      { ...defaults, pos_iou_thr: 0.5, neg_iou_thr: [0.1, 0.5], gt_max_assign_all: false, min_pos_iou: 0.1 },
      { ...defaults, pos_iou_thr: 0.6, neg_iou_thr: 0.6, match_low_quality: false, ignore_iof_thr: 0.5 },
      { ...defaults, pos_iou_thr: 0.5, neg_iou_thr: 0.5, ignore_iof_thr: 0.3, ignore_wrt_candidates: false },
    ];
    for (const [k, o] of cases.entries()) {
      for (let trial = 0; trial < 4; trial++) {
        const [p, g, ig] = [gridBoxes(300, r), gridBoxes(1 + r.int(8), r), gridBoxes(2, r)];
        const labels = Array.from({ length: g.length / 4 }, () => r.int(5));
        const got = new MaxIoUAssigner(o).assign({ priors: p }, { bboxes: g, labels: Int32Array.from(labels) }, { bboxes: ig });
        const ref = referenceAssign(o, p, g, labels, ig);
        expect(Array.from(got.gtInds), `case ${k}.${trial} gt_inds`).to.deep.equal(ref.gtInds);
        expect(Array.from(got.maxOverlaps), `case ${k}.${trial} max_overlaps`).to.deep.equal(ref.maxOverlaps);
        expect(Array.from(got.labels), `case ${k}.${trial} labels`).to.deep.equal(ref.labels);
      }
    }
  });

  it('builds from its config (the iou_calculator through TASK_UTILS); bad options name their path', () => {
    const a = buildTaskUtil<MaxIoUAssigner>({ type: 'MaxIoUAssigner', pos_iou_thr: 0.7, neg_iou_thr: 0.3, min_pos_iou: 0.3, match_low_quality: true, ignore_iof_thr: -1 });
    expect(a.negIouThr).to.equal(0.3);
    const wrong = errorOf(() => buildTaskUtil({ type: 'MaxIoUAssigner', pos_iou_thr: 0.7, neg_iou_thr: 0.3, iou_calculator: { type: 'MaxIoUAssigner', pos_iou_thr: 0.5, neg_iou_thr: 0.5 } }, 'model.train_cfg.rcnn.assigner'));
    expect(wrong).to.be.instanceOf(ConfigError);
    expect(wrong.message).to.equal("model.train_cfg.rcnn.assigner.iou_calculator.type: MaxIoUAssigner needs a BboxOverlaps2D iou_calculator, got 'MaxIoUAssigner'");
    expect(errorOf(() => buildTaskUtil({ type: 'MaxIoUAssigner', pos_iou_thr: 0.7 }, 'a')).message).to.equal('a.neg_iou_thr: expected a number or a [lo, hi] range');
    expect(errorOf(() => buildTaskUtil({ type: 'MaxIoUAssigner', pos_iou_thr: 0.7, neg_iou_thr: 0.3, iou_calculator: { type: 'BboxOverlaps2D', dtype: 'fp16' } }, 'a')).message).to.match(/^a\.iou_calculator\.dtype: only float32/);
  });

  it('says when labels and boxes disagree', () => {
    expect(errorOf(() => assigner({ pos_iou_thr: 0.5, neg_iou_thr: 0.5 }).assign({ priors }, { bboxes: gt.bboxes, labels: Int32Array.of(1) })).message).to.match(/2 GT boxes but 1 labels/);
  });
});
