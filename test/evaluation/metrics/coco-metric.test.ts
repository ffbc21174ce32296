import { expect } from 'chai';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../../src/components';
import { CocoMetric, CocoKeypointMetric, Evaluator, type DetMetricSample, type PoseMetricSample } from '../../../src/evaluation/metrics';
import { evaluateCoco, formatFixed3 } from '../../../src/evaluation/coco';
import { oksNms } from '../../../src/evaluation/metrics/oks-nms';
import { METRICS } from '../../../src/registry/registries';
import { build } from '../../../src/registry/container';
import { decodeRle, rleFromCoco, type CocoRle } from '../../../src/structures/mask';
import { BitmapMasks } from '../../../src/structures/masks';
import { sharedFixtures } from '../../fixture-root';

const dir = () => join(sharedFixtures(), 'coco_eval');
const read = (f: string) => JSON.parse(readFileSync(join(dir(), f), 'utf8'));
const round3 = (v: number) => Number(formatFixed3(v));

/** The fixture's results as data samples: boxes x1y1x2y2, labels by the annotation file's category order. */
function detSamples(withMasks: boolean): DetMetricSample[] {
  const gt = read('gt.json');
  const labelOf = new Map<number, number>(gt.categories.map((c: { id: number }, i: number) => [c.id, i]));
  const boxes = read('dt_bbox.json');
  const masks = read('dt_segm.json');
  const byImage = new Map<number, DetMetricSample>();
  boxes.forEach((d: { image_id: number; category_id: number; bbox: number[]; score: number }, i: number) => {
    let s = byImage.get(d.image_id);
    if (!s) byImage.set(d.image_id, (s = { img_id: d.image_id, pred_instances: { bboxes: [], scores: [], labels: [], masks: withMasks ? [] : undefined } }));
    const [x, y, w, h] = d.bbox;
    (s.pred_instances.bboxes as number[][]).push([x, y, x + w, y + h]);
    (s.pred_instances.scores as number[]).push(d.score);
    (s.pred_instances.labels as number[]).push(labelOf.get(d.category_id)!);
    if (withMasks) (s.pred_instances.masks as unknown[]).push(masks[i].segmentation);
  });
  return [...byImage.values()];
}

describe("CocoMetric (mmdetection's)", () => {
  const expected = read('expected.json');
  const cfg = { type: 'CocoMetric', ann_file: join(dir(), 'gt.json'), metric: ['bbox', 'segm'], proposal_nums: [1, 10, 100], classwise: true };

  it('gives coco/bbox_mAP ... and coco/segm_mAP ... as mmdetection rounds them', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hrdet-metric-'));
    const m = build(METRICS, { ...cfg, outfile_prefix: join(out, 'r') }, { path: 'val_evaluator' }) as CocoMetric;
    const samples = detSamples(true);
    m.process({}, samples.slice(0, 10));
    m.process({}, samples.slice(10));
    const r = await m.evaluate(samples.length);
    const names = ['mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l'];
    // masks: the fixture's numbers (mask areas; the boxes mmdetection adds are dropped)
    names.forEach((n, i) => expect(r[`coco/segm_${n}`], `segm_${n}`).to.equal(round3(expected.segm.stats[i])));
    expect(r['coco/segm_mAP_copypaste']).to.equal(expected.segm.stats.slice(0, 6).map(formatFixed3).join(' '));
    // boxes went through x1y1x2y2 and back (w = (x + w) - x is not always w): COCOeval on the written file
    const written = JSON.parse(readFileSync(join(out, 'r.bbox.json'), 'utf8'));
    expect(written).to.have.length(312);
    const direct = evaluateCoco(read('gt.json'), written, 'bbox', {}, { maxDets: [1, 10, 100] });
    names.forEach((n, i) => expect(r[`coco/bbox_${n}`], `bbox_${n}`).to.equal(round3(direct.stats[i])));
    names.forEach((n, i) => expect(Math.abs((r[`coco/bbox_${n}`] as number) - expected.bbox.stats[i])).to.be.below(0.02));
    expect(r['coco/segm_person_precision']).to.equal(round3(expected.segm.per_category_ap['1']));
    expect(r['coco/segm_toothbrush_precision']).to.be.NaN; // no GT
    expect(m.results).to.have.length(0);
  });

  it('takes the bitmap masks a mask head predicts (encoded as RLE) with the same segm numbers', async () => {
    const m = build(METRICS, { ...cfg, metric: 'segm', classwise: false }, { path: 'val_evaluator' }) as CocoMetric;
    const samples = detSamples(true).map((s) => {
      const rles = (s.pred_instances.masks as CocoRle[]).map(rleFromCoco);
      const [h, w] = [rles[0].h, rles[0].w];
      const data = new Uint8Array(rles.length * h * w);
      rles.forEach((r, i) => data.set(decodeRle(r), i * h * w));
      return { ...s, pred_instances: { ...s.pred_instances, masks: new BitmapMasks(data, rles.length, h, w) } };
    });
    m.process({}, samples);
    const r = await m.evaluate(samples.length);
    ['mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l'].forEach((n, i) => expect(r[`coco/segm_${n}`], `segm_${n}`).to.equal(round3(expected.segm.stats[i])));
  });

  it('rejects options it cannot honour, naming the config path', () => {
    const cfg = (o: object) => () => build(METRICS, { type: 'CocoMetric', ann_file: 'x.json', ...o }, { path: 'val_evaluator' });
    expect(cfg({ metric: 'proposal_fast' })).to.throw(/val_evaluator.metric: 'proposal_fast' is not supported/);
    expect(cfg({ metric: 'bbox', format_only: true })).to.throw(/val_evaluator.outfile_prefix/);
    expect(cfg({ metric_items: ['mAP_xl'] })).to.throw(/unknown item 'mAP_xl'/);
    expect(cfg({ iou_thr: 0.5 })).to.throw(/val_evaluator/);
  });
});

describe("mmpose.CocoMetric (keypoints)", () => {
  const expected = read('expected.json');

  function poseSamples(): PoseMetricSample[] {
    return read('dt_keypoints.json').map((d: { image_id: number; keypoints: number[]; score: number }, i: number) => ({
      id: i + 1,
      img_id: d.image_id,
      pred_instances: {
        keypoints: [Array.from({ length: 17 }, (_, k) => [d.keypoints[3 * k], d.keypoints[3 * k + 1]])],
        keypoint_scores: [Array.from({ length: 17 }, (_, k) => d.keypoints[3 * k + 2])],
        bbox_scores: [d.score],
      },
    }));
  }

  it('resolves under the mmpose scope and gives coco/AP ... coco/AR (L)', async () => {
    const m = build(METRICS, { type: 'mmpose.CocoMetric', ann_file: join(dir(), 'gt.json'), score_mode: 'bbox', nms_mode: 'none' }, { path: 'val_evaluator' });
    expect(m).to.be.instanceOf(CocoKeypointMetric);
    const ev = new Evaluator(m as CocoKeypointMetric);
    const r = await ev.offlineEvaluate(poseSamples(), 7);
    const names = ['AP', 'AP .5', 'AP .75', 'AP (M)', 'AP (L)', 'AR', 'AR .5', 'AR .75', 'AR (M)', 'AR (L)'];
    expect(Object.keys(r)).to.deep.equal(names.map((n) => `coco/${n}`));
    names.forEach((n, i) => expect(Math.abs((r[`coco/${n}`] as number) - expected.keypoints.stats[i]), n).to.be.at.most(1e-9));
  });

  it('oks_nms keeps the best of overlapping poses and both of distant ones', () => {
    const pose = (dx: number, score: number) => ({
      keypoints: Array.from({ length: 17 }, (_, k) => [10 + k + dx, 20 + 2 * k, 1]).flat(),
      score,
      area: 400,
    });
    const sigmas = Array(17).fill(0.05);
    expect(oksNms([pose(0, 0.5), pose(0.1, 0.9), pose(200, 0.2)], 0.9, sigmas)).to.deep.equal([1, 2]);
  });
});

describe('Evaluator', () => {
  it('refuses two metrics giving the same key', async () => {
    const a = build(METRICS, { type: 'Accuracy' }, { path: 'e' });
    const b = build(METRICS, { type: 'Accuracy' }, { path: 'e' });
    const ev = new Evaluator([a, b] as never);
    ev.process([{ pred_score: [0.2, 0.8], gt_label: 1 }]);
    let err: Error | null = null;
    await ev.evaluate(1).catch((e) => (err = e));
    expect(err).to.match(/two metrics give 'accuracy\/top1'/);
  });
});
