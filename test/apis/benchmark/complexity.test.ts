import { join } from 'node:path';
import { expect } from 'chai';
import { analyzeModel } from '../../../src/apis/analyze';
import { BackboneNeck } from '../../../src/apis/benchmark/backbone-neck';
import { backboneNeckComplexity, modelComplexity, ROI_HEADS_NOT_COUNTED } from '../../../src/apis/benchmark/complexity';
import { buildModel } from '../../../src/apis/build-model';
import type { FasterRCNN } from '../../../src/models/detectors/faster-rcnn';
import { ROOT } from '../../cli/run-cli';

const TINY = join(ROOT, 'test', 'apis', 'benchmark', 'tiny-faster-rcnn.json');

describe('benchmark complexity', function () {
  this.timeout(30000);
  let model: FasterRCNN;
  before(async () => {
    model = (await buildModel(TINY, { initWeights: false })).model as FasterRCNN;
  });

  it('analyses the whole two-stage detector on shapes, its NMS counts as upper bounds (partial)', () => {
    const a = analyzeModel(model, { inputShape: [3, 64, 64] });
    expect(a.partial).to.equal(true);
    expect(a.notes.every((n) => n.includes('nms keeps a data-dependent number of boxes'))).to.equal(true);
    expect(a.params).to.equal(model.numParameters());
  });

  it('counts the RPN head and the RoI box head at test_cfg.rpn.max_per_img RoIs, by hand', () => {
    const c = modelComplexity(model, [3, 64, 64]);
    // RPN: neck levels 16², 8², 4², 2², 1² = 341 positions; per position 3x3 conv 32->32 (9216),
    // cls 1x1 32->3 (96), reg 1x1 32->12 (384)
    expect(c.parts.rpn_head).to.equal(341 * (9216 + 96 + 384));
    // Shared2FCBBoxHead per RoI: 32*7*7 -> 64, 64 -> 64, 64 -> 81 (cls), 64 -> 320 (reg); 100 RoIs (the config's max_per_img)
    const perRoi = 1568 * 64 + 64 * 64 + 64 * 81 + 64 * 320;
    expect(c.parts.roi_head).to.equal(100 * perRoi);
    const stem = backboneNeckComplexity(new BackboneNeck(model), [3, 64, 64]);
    expect(c.macs).to.equal(stem.macs + c.parts.rpn_head + 100 * perRoi);
    expect(c.params).to.equal(model.numParameters());
    expect(c.counted).to.match(/RoI box head at 100 RoIs per image/);
    expect(c.partial).to.equal(false);
    expect(modelComplexity(model, [3, 64, 64], { rois: 1000 }).parts.roi_head).to.equal(1000 * perRoi);
  });

  it('says "RoI heads not counted" when the RoIs are left out', () => {
    const c = modelComplexity(model, [3, 64, 64], { rois: 0 });
    expect(c.parts.roi_head).to.equal(undefined);
    expect(c.partial).to.equal(true);
    expect(c.notes.join(' ')).to.contain(ROI_HEADS_NOT_COUNTED);
    expect(c.params).to.equal(model.numParameters());
  });

  it('counts the backbone + neck part as analyze does, and leaves the model in eval mode', () => {
    const part = new BackboneNeck(model);
    const a = analyzeModel(part, { inputShape: [3, 64, 64] });
    const c = backboneNeckComplexity(part, [3, 64, 64]);
    expect(c.macs).to.equal(a.macs);
    expect(c.params).to.equal(model.backbone.numParameters() + model.neck!.numParameters());
    expect(model.training).to.equal(false);
    expect(model.backbone.training).to.equal(false);
  });
});
