import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CocoEval, CocoGroundTruth, evaluateCoco, formatFixed3, loadCocoResults, type IouType } from '../../../src/evaluation/coco';
import { linspace, pairwiseSum } from '../../../src/evaluation/coco/numeric';
import { REPO_ROOT, sharedFixtures } from '../../fixture-root';

const dir = () => join(sharedFixtures(), 'coco_eval');
const read = (f: string) => JSON.parse(readFileSync(join(dir(), f), 'utf8'));
const TYPES: IouType[] = ['bbox', 'segm', 'keypoints'];

describe('COCOeval against pycocotools (shared coco_eval fixture)', () => {
  const expected = read('expected.json');
  const gt = new CocoGroundTruth(read('gt.json'), 'gt.json');

  for (const t of TYPES) {
    it(`${t}: the summary stats to 1e-12, named as the fixture names them`, () => {
      const r = evaluateCoco(gt, read(`dt_${t}.json`), t);
      expect(r.stats).to.have.length(expected[t].stats.length);
      r.stats.forEach((v, i) => expect(Math.abs(v - expected[t].stats[i]), `stat ${i}`).to.be.at.most(1e-12));
      expect(Object.keys(r.statsNamed)).to.deep.equal(expected.stat_names[t]);
    });

    it(`${t}: per-category AP and AP50 from the accumulated precision`, () => {
      const r = evaluateCoco(gt, read(`dt_${t}.json`), t);
      const { T, R, K, A, M } = r.accumulated.shape;
      r.params.catIds.forEach((catId, k) => {
        for (const [key, tSel] of [['per_category_ap', [...Array(T).keys()]], ['per_category_ap50', [0]]] as const) {
          const vals: number[] = [];
          for (const ti of tSel)
            for (let ri = 0; ri < R; ri++) {
              const v = r.accumulated.precision[(((ti * R + ri) * K + k) * A + 0) * M + (M - 1)];
              if (v > -1) vals.push(v);
            }
          const ap = vals.length ? pairwiseSum(vals) / vals.length : -1;
          expect(Math.abs(ap - expected[t][key][String(catId)]), `${key} ${catId}`).to.be.at.most(1e-12);
        }
      });
    });

    it(`${t}: prints the table as COCOeval.summarize()`, () => {
      const table = readFileSync(join(REPO_ROOT, `test/fixtures/evaluation/summary_${t}.txt`), 'utf8');
      expect(evaluateCoco(gt, read(`dt_${t}.json`), t).table + '\n').to.equal(table);
    });
  }

  it('uses numpy.linspace thresholds, exactly', () => {
    const r = new CocoEval(gt, [], 'bbox');
    expect(r.params.iouThrs).to.deep.equal(expected.params.bbox_segm.iouThrs);
    expect(r.params.recThrs).to.deep.equal(expected.params.bbox_segm.recThrs);
    expect(new CocoEval(gt, [], 'keypoints').params.kptOksSigmas).to.deep.equal(expected.params.keypoints.kpt_oks_sigmas);
    expect(linspace(0, 1, 101)[35]).to.equal(0.35000000000000003);
  });

  it('depends on result-file order for tied scores (reversing the file changes the stats)', () => {
    const dts = read('dt_bbox.json');
    const forward = evaluateCoco(gt, dts, 'bbox').stats;
    const reversed = evaluateCoco(gt, [...dts].reverse(), 'bbox').stats;
    expect(reversed).to.not.deep.equal(forward);
  });
});

describe('COCOeval: hand-made cases', () => {
  const gtJson = {
    images: [{ id: 1, width: 100, height: 100 }],
    categories: [{ id: 1, name: 'a' }],
    annotations: [
      { id: 1, image_id: 1, category_id: 1, iscrowd: 0, area: 400, bbox: [0, 0, 20, 20] },
      { id: 2, image_id: 1, category_id: 1, iscrowd: 1, area: 2500, bbox: [50, 50, 50, 50] },
    ],
  };

  it('a crowd region absorbs any number of detections (neither TP nor FP)', () => {
    const dts = [
      { image_id: 1, category_id: 1, bbox: [0, 0, 20, 20], score: 0.9 },
      { image_id: 1, category_id: 1, bbox: [55, 55, 10, 10], score: 0.8 },
      { image_id: 1, category_id: 1, bbox: [70, 70, 10, 10], score: 0.7 },
    ];
    const r = evaluateCoco(gtJson, dts, 'bbox');
    expect(r.statsNamed.AP).to.equal(1 / (1 + 2.220446049250313e-16)); // one TP, eps in the denominator
    expect(r.statsNamed.AR100).to.equal(1);
  });

  it('an IoU exactly at the threshold matches', () => {
    // [0,0,20,20] vs [0,0,20,10]: IoU 200/400 = 0.5 exactly
    const r = evaluateCoco(gtJson, [{ image_id: 1, category_id: 1, bbox: [0, 0, 20, 10], score: 1 }], 'bbox');
    expect(r.statsNamed.AR100).to.equal(0.1); // matched at 0.5 only, of 10 thresholds
  });

  it('no detections: AP 0; no non-ignored GT in a range: -1', () => {
    const r = evaluateCoco(gtJson, [], 'bbox');
    expect(r.statsNamed.AP).to.equal(0);
    expect(r.statsNamed.APl).to.equal(-1);
  });

  it('rejects results naming unknown images or categories, or malformed records, in one line', () => {
    const gt = new CocoGroundTruth(gtJson as never, 'gt.json');
    expect(() => loadCocoResults(gt, [{ image_id: 7, category_id: 1, bbox: [0, 0, 1, 1], score: 1 }], 'bbox', 'r.json')).to.throw(
      'r.json: record 0.image_id: unknown image id 7 (not in the ground truth)',
    );
    expect(() => loadCocoResults(gt, [{ image_id: 1, category_id: 3, bbox: [0, 0, 1, 1], score: 1 }], 'bbox', 'r.json')).to.throw(
      /category_id: unknown category id 3/,
    );
    expect(() => loadCocoResults(gt, [{ image_id: 1, category_id: 1, bbox: [0, 0, 1], score: 1 }], 'bbox', 'r.json')).to.throw(
      /record 0.bbox: expected \[x, y, w, h\]/,
    );
    expect(() => loadCocoResults(gt, [{ image_id: 1, category_id: 1, bbox: [0, 0, 1, 1] }], 'bbox', 'r.json')).to.throw(/score/);
    expect(() => loadCocoResults(gt, { a: 1 }, 'bbox', 'r.json')).to.throw(/JSON array/);
    expect(() => new CocoGroundTruth({ images: [], categories: [] } as never, 'g.json')).to.throw(/g.json: annotations: expected an array/);
  });

  it('formats like Python: ties round half to even', () => {
    expect(formatFixed3(0.0625)).to.equal('0.062');
    expect(formatFixed3(0.1875)).to.equal('0.188');
    expect(formatFixed3(-1)).to.equal('-1.000');
    expect(formatFixed3(0.34449)).to.equal('0.344');
  });
});
