import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { buildModel } from '../../../src/apis/build-model';
import { loadStateDictInto } from '../../../src/apis/load-weights';
import type { HostTensor } from '../../../src/core/host-tensor';
import { initBackend } from '../../../src/engines/tfjs/backend';
import { loadCheckpoint } from '../../../src/io/checkpoint';
import { readSafetensors } from '../../../src/io/safetensors';
import type { BaseModel } from '../../../src/models/base-model';
import type { CascadeRCNN } from '../../../src/models/detectors/cascade-rcnn';
import type { CascadeRoIHead } from '../../../src/models/heads/roi/cascade-roi-head';
import { BitmapMasks } from '../../../src/structures/masks';
import { DetDataSample } from '../../../src/structures/det-data-sample';
import { Harness } from '../../core/helpers/backends';
import { expectBoxes, detFixtureDir, firstRows, labelsOf } from './det-fixture';
import '../../../src/components';

const DIR = detFixtureDir('cascade_rcnn_tiny');
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * Cascade Mask R-CNN on the cascade_rcnn_tiny weights plus three mask heads whose logits are
 * constants b_s (conv_logits weight 0, bias b_s): the masks are mean(sigmoid(b_s)), which
 * mmdetection's merge_aug_masks gives, and not sigmoid(mean(b_s)) nor the last stage alone.
 */
describe('CascadeRCNN with mask heads (Cascade Mask R-CNN): masks are the mean of the stages’ sigmoids', function () {
  this.timeout(60000);
  const h = new Harness();
  const biases = [-10, 2, 2];
  let model: CascadeRCNN;
  let io: Map<string, HostTensor>;
  let meta: Record<string, unknown>;

  before(async function () {
    await initBackend('wasm');
    const cfg = JSON.parse(readFileSync(join(DIR, 'config.json'), 'utf8'));
    cfg.model.roi_head.mask_roi_extractor = { type: 'SingleRoIExtractor', roi_layer: { type: 'RoIAlign', output_size: 14, sampling_ratio: 0 }, out_channels: 32, featmap_strides: [4, 8, 16, 32] };
    cfg.model.roi_head.mask_head = { type: 'FCNMaskHead', num_convs: 2, in_channels: 32, conv_out_channels: 8, num_classes: 80 };
    cfg.model.test_cfg.rcnn.mask_thr_binary = 0.5;
    // the first 10 detections keep the test fast (every stage pools every mask RoI)
    cfg.model.test_cfg.rcnn.max_per_img = 10;
    model = (await buildModel({ model: cfg.model })).model as BaseModel as CascadeRCNN;
    const path = join(DIR, 'state_dict.pth');
    const res = loadStateDictInto(model, (await loadCheckpoint(path)).stateDict, path, { strict: false });
    expect(res.report.missing.every((k: string) => k.startsWith('roi_head.mask_head.'))).to.equal(true);
    const heads = (model.roiHead as CascadeRoIHead).maskHead!;
    [...heads].forEach((m, s) => {
      m.convLogits.weight.set(new Float32Array(m.convLogits.weight.numel));
      m.convLogits.bias!.set(new Float32Array(80).fill(biases[s]));
    });
    io = (await readSafetensors(join(DIR, 'io.safetensors'))).tensors;
    meta = cfg.img_metas[0];
  });
  beforeEach(() => tf.engine().startScope());
  afterEach(() => tf.engine().endScope());

  it('has one mask head per stage under roi_head.mask_head.{0,1,2}', function () {
    const keys = [...model.namedState()].map(([k]) => k).filter((k) => k.includes('mask_head'));
    expect(keys.filter((k) => k.endsWith('conv_logits.weight'))).to.deep.equal([0, 1, 2].map((s) => `roi_head.mask_head.${s}.conv_logits.weight`));
    expect(keys.some((k) => k.includes('mask_roi_extractor'))).to.equal(false);
  });

  it('keeps the cascade detections and gives every detection the averaged mask', function () {
    const raw = h.run(() => new Map([...model.forwardTensor(new Map([['input', h.engine.constant(io.get('input')!)]]), [new DetDataSample(meta)])].map(([k, v]) => [k, h.read(v)])));
    expect(raw.get('masks')!.shape).to.deep.equal([10, 28, 28]);
    const out = model.pasteMaskOutputs(raw, [new DetDataSample(meta)]);
    expectBoxes(out.get('dets')!, firstRows(io.get('dets')!, 10), 'dets');
    expect(Array.from(out.get('labels')!.data as Int32Array)).to.deep.equal(labelsOf(io.get('labels')!).slice(0, 10));
    const mean = (sigmoid(biases[0]) + sigmoid(biases[1]) + sigmoid(biases[2])) / 3;
    expect(mean).to.be.above(0.5);
    expect(sigmoid((biases[0] + biases[1] + biases[2]) / 3)).to.be.below(0.5);
    const probs = out.get('mask_prob_label')!;
    expect(probs.shape).to.deep.equal([10, 28, 28]);
    for (const v of probs.data as Float32Array) expect(v).to.be.closeTo(mean, 1e-6);
    // a constant mask >= 0.5 fills each box's interior pixels
    const masks = out.get('masks')!;
    expect(masks.shape).to.deep.equal([10, 240, 300]);
    const dets = io.get('dets')!.data as Float32Array;
    const [x1, y1, x2, y2] = dets.subarray(0, 4);
    const cx = Math.floor((x1 + x2) / 2);
    const cy = Math.floor((y1 + y2) / 2);
    expect((masks.data as Uint8Array)[cy * 300 + cx]).to.equal(1);
    expect([...out.keys()]).to.deep.equal(model.outputNames());
  });

  it('predict gives bitmap masks of the original image', function () {
    const [s] = h.run(() => model.forward(h.engine.constant(io.get('input')!), [new DetDataSample(meta)], 'predict'));
    const m = s.pred_instances!.masks as BitmapMasks;
    expect(m).to.be.instanceOf(BitmapMasks);
    expect([m.length, m.height, m.width]).to.deep.equal([10, 240, 300]);
  });
});
