import { expect } from 'chai';
import '../../../src/components';
import { Accuracy, IoUMetric } from '../../../src/evaluation/metrics';
import { METRICS } from '../../../src/registry/registries';
import { build } from '../../../src/registry/container';

describe("IoUMetric (mmseg's)", () => {
  it('counts per class over images, leaves ignore_index out, NaN for absent classes', async () => {
    const m = build(METRICS, { type: 'IoUMetric', iou_metrics: ['mIoU'] }, { path: 'val_evaluator' }) as IoUMetric;
    m.datasetMeta = { classes: ['a', 'b', 'c', 'd'] };
    // class d never occurs; 255 pixels are ignored whatever is predicted there
    m.process({}, [{ pred_sem_seg: Uint8Array.of(0, 0, 1, 1, 2, 0), gt_sem_seg: Uint8Array.of(0, 1, 1, 1, 255, 255), width: 3, height: 2 }]);
    m.process({}, [{ pred_sem_seg: Uint8Array.of(2, 2), gt_sem_seg: Uint8Array.of(2, 0), width: 2, height: 1 }]);
    const r = await m.evaluate(2);
    // a: I=1 U=3 (pred 2 + gt 2 - 1), Acc 1/2; b: I=2 U=3, Acc 2/3; c: I=1 U=2, Acc 1/1
    const iou = [1 / 3, 2 / 3, 1 / 2];
    const acc = [1 / 2, 2 / 3, 1];
    expect(r.aAcc).to.equal(66.67); // 4 of 6 labelled pixels
    expect(r.mIoU).to.equal(Math.round(((iou[0] + iou[1] + iou[2]) / 3) * 10000) / 100);
    expect(r.mAcc).to.equal(Math.round(((acc[0] + acc[1] + acc[2]) / 3) * 10000) / 100);
    expect(m.classTable!.values.IoU[3]).to.be.NaN;
    expect(m.classTable!.values.IoU.slice(0, 3)).to.deep.equal(iou);
  });

  it('mDice and mFscore from the same counts', async () => {
    const m = new IoUMetric({ iou_metrics: ['mDice', 'mFscore'] });
    m.datasetMeta = { classes: ['a', 'b'] };
    m.process({}, [{ pred_sem_seg: [0, 0, 1, 1], gt_sem_seg: [0, 1, 1, 1], width: 2, height: 2 }]);
    const r = await m.evaluate(1);
    // a: I=1 P=2 L=1 -> dice 2/3, prec 1/2, rec 1; b: I=2 P=2 L=3 -> dice 4/5, prec 1, rec 2/3
    expect(r.mDice).to.equal(Math.round(((2 / 3 + 4 / 5) / 2) * 10000) / 100);
    expect(r.mPrecision).to.equal(75);
    expect(r.mFscore).to.equal(Math.round(((2 / 3 + 0.8) / 2) * 10000) / 100);
  });
});

describe("Accuracy (mmpretrain's)", () => {
  const samples = [
    { pred_score: [0.1, 0.6, 0.3], gt_label: 1 },
    { pred_score: [0.5, 0.2, 0.3], gt_label: 2 },
    { pred_score: [0.7, 0.2, 0.1], gt_label: 1 },
    { pred_score: [0.2, 0.3, 0.5], gt_label: 0 },
  ];

  it('top-1 and top-2 in percent', async () => {
    const m = build(METRICS, { type: 'Accuracy', topk: [1, 2] }, { path: 'val_evaluator' }) as Accuracy;
    m.process({}, samples);
    expect(await m.evaluate(4)).to.deep.equal({ 'accuracy/top1': 25, 'accuracy/top2': 75 });
  });

  it('thresholds name their keys; top-k past the class count is an error', async () => {
    const m = new Accuracy({ topk: 1, thrs: [null, 0.65] });
    m.process({}, samples);
    expect(await m.evaluate(4)).to.deep.equal({ 'accuracy/top1_no-thr': 25, 'accuracy/top1_thr-0.65': 0 });
    const big = new Accuracy({ topk: 5 });
    big.process({}, samples);
    let err: Error | null = null;
    await big.evaluate(4).catch((e) => (err = e));
    expect(err).to.match(/Top-5 accuracy is unavailable since the number of categories is 3/);
  });
});
