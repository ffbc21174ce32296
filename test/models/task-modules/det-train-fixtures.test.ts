import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { withEngine } from '../../../src/core/engine-context';
import { hostTensor, type HostTensor } from '../../../src/core/host-tensor';
import { Random } from '../../../src/core/random';
import { initBackend } from '../../../src/engines/tfjs/backend';
import { TfjsEngine } from '../../../src/engines/tfjs/tfjs-engine';
import { readSafetensors } from '../../../src/io/safetensors';
import type { MaxIoUAssigner } from '../../../src/models/task-modules/assigners/max-iou-assigner';
import type { DeltaXYWHBBoxCoder } from '../../../src/models/task-modules/coders/delta-xywh-bbox-coder';
import { gatherBoxes } from '../../../src/models/task-modules/host-boxes';
import type { AnchorGenerator, FeatSize } from '../../../src/models/task-modules/prior-generators/anchor-generator';
import { anchorInsideFlags } from '../../../src/models/task-modules/prior-generators/anchor-inside-flags';
import type { RandomSampler } from '../../../src/models/task-modules/samplers/random-sampler';
import { sharedFixtures } from '../../fixture-root';
import { buildTaskUtil } from './helpers';

/**
 * mmdetection 3.3.0's own training-path intermediates (../shared/fixtures/det_train):
 * RPN anchor assignment and R-CNN sampled RoIs, labels and regression targets, reproduced
 * through hrdet's AnchorGenerator, anchor_inside_flags, MaxIoUAssigner, RandomSampler and
 * DeltaXYWHBBoxCoder from the fixtures' own configs.
 */
type Cfg = Record<string, any>;
interface Meta {
  img_shape: [number, number];
  pad_shape: [number, number];
  batch_input_shape: [number, number];
}

const engine = new TfjsEngine();
const num = (t: HostTensor) => Array.from(t.data as ArrayLike<number | bigint>, Number);
const halve = (x: number) => Math.floor((x - 1) / 2) + 1;

/** Feature sizes of the five levels: HRFPN pools the stride-4 map by 2^k (floor); ResNet-FPN halves with conv/pool arithmetic. */
function featSizes(cfg: Cfg, [h, w]: [number, number]): FeatSize[] {
  if (cfg.model.neck.type === 'HRFPN') return [0, 1, 2, 3, 4].map((k) => [Math.floor(h / 4 / 2 ** k), Math.floor(w / 4 / 2 ** k)]);
  let s: [number, number] = [halve(halve(h)), halve(halve(w))];
  const out: FeatSize[] = [s];
  for (let k = 1; k < 5; k++) out.push((s = [halve(s[0]), halve(s[1])]));
  return out;
}

function hostAnchors(gen: AnchorGenerator, sizes: FeatSize[]): Float32Array {
  tf.engine().startScope();
  try {
    const levels = withEngine(engine, () => gen.gridPriors(sizes).map((t) => engine.readSync(t).data as Float32Array));
    const out = new Float32Array(levels.reduce((a, l) => a + l.length, 0));
    let at = 0;
    for (const l of levels) out.set(l, (at += l.length) - l.length);
    return out;
  } finally {
    tf.engine().endScope();
  }
}

function encode(coder: DeltaXYWHBBoxCoder, priors: Float32Array, gts: Float32Array): Float32Array {
  if (priors.length === 0) return new Float32Array(0);
  tf.engine().startScope();
  try {
    return withEngine(engine, () => {
      const t = (b: Float32Array) => engine.constant(hostTensor('float32', [b.length / 4, 4], b));
      return Float32Array.from(engine.readSync(coder.encode(t(priors), t(gts))).data as Float32Array);
    });
  } finally {
    tf.engine().endScope();
  }
}

const FIXTURES = ['faster_rcnn_tiny', 'faster_rcnn_bn_train_tiny', 'mask_rcnn_tiny', 'cascade_rcnn_tiny'];

describe('det_train fixtures (mmdetection 3.3.0): assignment, sampling and targets', function () {
  before(() => initBackend('cpu'));

  for (const name of FIXTURES) {
    describe(name, () => {
      let cfg: Cfg;
      let io: Map<string, HostTensor>;
      let metas: Meta[];
      const gt = (i: number) => ({ bboxes: io.get(`gt_bboxes.${i}`)!.data as Float32Array, labels: Int32Array.from(num(io.get(`gt_labels.${i}`)!)) });

      before(async () => {
        const dir = join(sharedFixtures(), 'det_train', name);
        cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
        io = (await readSafetensors(join(dir, 'io.safetensors'))).tensors;
        metas = cfg.img_metas;
      });

      it('RPN: every anchor assigned as mmdetection did (positive GT, negative, ignored, outside)', () => {
        const gen = buildTaskUtil<AnchorGenerator>(cfg.model.rpn_head.anchor_generator);
        const rpn = cfg.model.train_cfg.rpn;
        const assigner = buildTaskUtil<MaxIoUAssigner>(rpn.assigner);
        const sampler = buildTaskUtil<RandomSampler>(rpn.sampler);
        const sizes = featSizes(cfg, metas[0].batch_input_shape);
        const anchors = hostAnchors(gen, sizes);
        metas.forEach((meta, i) => {
          const valid = Uint8Array.from(gen.validFlags(sizes, meta.pad_shape).flatMap((l) => Array.from(l)));
          const inside = anchorInsideFlags(anchors, valid, meta.img_shape, rpn.allowed_border);
          const insideInds = Int32Array.from(Array.from(inside).flatMap((v, j) => (v ? [j] : [])));
          const { bboxes } = gt(i);
          const target = { bboxes, labels: new Int32Array(bboxes.length / 4) }; // RPN is class-agnostic
          const priors = { priors: gatherBoxes(anchors, insideInds) };
          const res = assigner.assign(priors, target);
          const code = new Array(inside.length).fill(-3);
          insideInds.forEach((j, k) => (code[j] = res.gtInds[k] > 0 ? res.gtInds[k] - 1 : res.gtInds[k] === 0 ? -1 : -2));
          const ref = num(io.get(`rpn.assign.${i}`)!);
          expect(code.length, 'anchor count').to.equal(ref.length);
          const wrong = code.flatMap((c, j) => (c === ref[j] ? [] : [`anchor ${j}: ${c} vs ${ref[j]}`]));
          expect(wrong.slice(0, 5), `${wrong.length} anchors differ`).to.deep.equal([]);
          const s = sampler.sample(res, priors, target, new Random(0));
          const stats = JSON.parse(readFileSync(join(sharedFixtures(), 'det_train', name, 'stats.json'), 'utf8')).counts.rpn[i];
          expect([s.posInds.length, s.negInds.length, s.avgFactor]).to.deep.equal([stats.num_pos, stats.num_neg, stats.avg_factor]);
        });
      });

      const rcnnStages = name === 'cascade_rcnn_tiny' ? [0, 1, 2] : [null];
      for (const stage of rcnnStages) {
        const key = stage === null ? 'rcnn' : `rcnn.s${stage}`;
        it(`${key}: sampled RoIs, labels and regression targets`, () => {
          const heads = cfg.model.roi_head.bbox_head;
          const head = Array.isArray(heads) ? heads[stage ?? 0] : heads;
          const trainCfg = Array.isArray(cfg.model.train_cfg.rcnn) ? cfg.model.train_cfg.rcnn[stage ?? 0] : cfg.model.train_cfg.rcnn;
          const assigner = buildTaskUtil<MaxIoUAssigner>(trainCfg.assigner);
          const sampler = buildTaskUtil<RandomSampler>(trainCfg.sampler);
          const coder = buildTaskUtil<DeltaXYWHBBoxCoder>(head.bbox_coder);
          const refRois = io.get(`${key}.rois`)!.data as Float32Array;
          const rois: number[] = [];
          const labels: number[] = [];
          const targets: number[] = [];
          metas.forEach((_, i) => {
            const g = gt(i);
            const proposals = stage ? laterStageProposals(refRois, i, g.bboxes) : firstStageProposals(io.get(`rpn.proposals.${i}`)!);
            const s = sampler.sample(assigner.assign({ priors: proposals }, g), { priors: proposals }, g, new Random(0));
            for (const box of [s.posPriors, s.negPriors]) for (let k = 0; k < box.length; k += 4) rois.push(i, ...box.subarray(k, k + 4));
            labels.push(...s.posGtLabels, ...new Array(s.negInds.length).fill(head.num_classes));
            targets.push(...encode(coder, s.posPriors, s.posGtBboxes), ...new Array(4 * s.negInds.length).fill(0));
          });
          expect(rois.length, 'RoI count').to.equal(refRois.length);
          expect(rois).to.deep.equal(Array.from(refRois));
          expect(labels).to.deep.equal(num(io.get(`${key}.labels`)!));
          const ref = io.get(`${key}.bbox_targets`)!.data as Float32Array;
          const scale = Math.max(...Array.from(ref, Math.abs));
          const worst = Math.max(...targets.map((v, k) => Math.abs(v - ref[k])));
          expect(worst / scale, 'largest target difference relative to max |target|').to.be.at.most(1e-6);
        });
      }
    });
  }
});

/** The first stage's candidates: the RPN training proposals without their scores. */
function firstStageProposals(p: HostTensor): Float32Array {
  const rows = p.shape[0];
  const out = new Float32Array(rows * 4);
  for (let k = 0; k < rows; k++) out.set((p.data as Float32Array).subarray(5 * k, 5 * k + 4), 4 * k);
  return out;
}

/**
 * A later cascade stage's candidates: its sampled RoIs of image i are the GT boxes (added as
 * proposals, positives first) then every refined proposal; the proposals are what remains.
 */
function laterStageProposals(rois: Float32Array, image: number, gts: Float32Array): Float32Array {
  const mine: number[] = [];
  for (let k = 0; k < rois.length; k += 5) if (rois[k] === image) mine.push(...rois.subarray(k + 1, k + 5));
  expect(mine.slice(0, gts.length), 'the GT boxes lead the RoIs').to.deep.equal(Array.from(gts));
  return Float32Array.from(mine.slice(gts.length));
}
