/**
 * The contract of every registered whole model, built from the smallest shipped config that
 * uses it, on a small input: `tensor` mode with its declared outputs; `predict` results in the
 * samples; `loss` with finite losses and a backward pass that reaches every trainable parameter
 * with finite, non-zero gradients; a strict state-dict round trip; an ONNX export that
 * onnxruntime runs to the tfjs outputs; the analysis. A new model is tested by being registered
 * and shipped with a config; the ground truth it is fed is drawn from its task (its samples' type).
 */
import { expect } from 'chai';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildModel } from '../../src/apis/build-model';
import { analyzeModel } from '../../src/apis/analyze';
import { exportOnnx } from '../../src/apis/export';
import { forwardTfjs, tfjsEngine } from '../../src/apis/forward';
import { initBackend } from '../../src/engines/tfjs/backend';
import { withEngine } from '../../src/core/engine-context';
import { UserError } from '../../src/core/errors';
import { hostTensor, type HostTensor } from '../../src/core/host-tensor';
import { Random } from '../../src/core/random';
import { loadConfig } from '../../src/config/load-config';
import '../../src/components';
import { MODELS } from '../../src/registry/registries';
import { BaseModel } from '../../src/models/base-model';
import { TopdownPoseEstimator } from '../../src/models/pose/topdown-pose-estimator';
import { EncoderDecoder } from '../../src/models/segmentors/encoder-decoder';
import { ImageClassifier } from '../../src/models/classifiers/image-classifier';
import { Boxes } from '../../src/structures/boxes';
import type { DataSample } from '../../src/structures/data-sample';
import { BitmapMasks } from '../../src/structures/masks';
import { TwoStageDetector } from '../../src/models/detectors/two-stage-detector';
import { InstanceData } from '../../src/structures/instance-data';
import { PoseDataSample } from '../../src/structures/pose-data-sample';
import { SegDataSample } from '../../src/structures/seg-data-sample';
import { ClsDataSample } from '../../src/structures/cls-data-sample';
import { DetDataSample } from '../../src/structures/det-data-sample';
import { DetDataPreprocessor } from '../../src/models/data-preprocessors/det-data-preprocessor';
import { PixelData } from '../../src/structures/pixel-data';
import { parseLosses } from '../../src/training/parse-losses';
import { REPO_ROOT } from '../fixture-root';

const SIZE: Record<string, [number, number]> = { TopdownPoseEstimator: [64, 48] };
/** Every registered whole model (data preprocessors are registered in MODELS too, as in mm*). */
const WHOLE_MODELS = MODELS.list()
  .map((spec) => spec.name)
  .filter((n) => !/DataPre[Pp]rocessor$/.test(n));
const DEFAULT_SIZE: [number, number] = [64, 64];
const COCO_FLIP = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15];

function configFiles(dir = join(REPO_ROOT, 'configs')): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) return name === '_base_' ? [] : configFiles(p);
      return /\.(json|ya?ml|js|ts)$/.test(name) ? [p] : [];
    });
}

/** The shipped config of each model type with the fewest parameters. */
async function smallestConfigs(): Promise<Map<string, string>> {
  const best = new Map<string, { file: string; params: number }>();
  for (const file of configFiles()) {
    const type = (loadConfig(file).config as { model?: { type?: string } }).model?.type;
    if (!type) continue;
    const { model } = await buildModel(file, { initWeights: false });
    const params = model.numParameters();
    if (!best.has(type) || params < best.get(type)!.params) best.set(type, { file, params });
  }
  return new Map([...best].map(([t, v]) => [t, v.file]));
}

/** The input size each model was run at (detectors build their ground truth in that frame). */
const SIZE_OF = new WeakMap<BaseModel, [number, number]>();

/** Ground truth for a batch of this model's task, shaped by its tensor-mode output. */
function samplesFor(model: BaseModel, output: HostTensor | undefined, rng: Random, N = 2): DataSample[] {
  const [H, W] = output ? [output.shape[2], output.shape[3]] : [0, 0];
  if (model instanceof TopdownPoseEstimator) {
    const K = output!.shape[1];
    return Array.from({ length: N }, () => {
      const s = new PoseDataSample({ input_size: [48, 64], input_center: [100, 120], input_scale: [90, 120], flip_indices: K === 17 ? COCO_FLIP : [...Array(K).keys()] });
      s.gt_instances = new InstanceData({ bboxes: Boxes.fromRows([[55, 60, 145, 180]]), bbox_scores: Float32Array.of(1) });
      s.gt_targets = {
        heatmaps: hostTensor('float32', [K, H, W], Float32Array.from({ length: K * H * W }, () => rng.next())),
        keypoint_weights: hostTensor('float32', [1, K], new Float32Array(K).fill(1)),
      };
      return s;
    });
  }
  if (model instanceof EncoderDecoder) {
    const C = output!.shape[1];
    const [h, w] = [H * 4, W * 4];
    return Array.from({ length: N }, () => {
      const s = new SegDataSample({ img_shape: [h, w], ori_shape: [h, w], pad_shape: [h, w] });
      s.gt_sem_seg = new PixelData(Int32Array.from({ length: h * w }, () => (rng.next() < 0.1 ? 255 : Math.floor(rng.next() * C))), [1, h, w]);
      return s;
    });
  }
  if (model.dataPreprocessor instanceof DetDataPreprocessor) {
    return Array.from({ length: N }, () => {
      const [h, w] = [SIZE_OF.get(model)![0], SIZE_OF.get(model)![1]];
      const s = new DetDataSample({ img_shape: [h, w], ori_shape: [h, w], pad_shape: [h, w], batch_input_shape: [h, w], scale_factor: [1, 1] });
      // two boxes inside the image, and boxes past it whose sizes reach FCOS's coarser regress ranges
      // (so the per-level scales of every level get a gradient)
      const reach = [60, 150, 300, 600].map((r) => [-r, -r, r, r]);
      const rows = [[4, 6, 40, 50], [20, 10, 60, 30], ...reach];
      // bitmap masks (mask heads): each box filled, cut at the image edge
      const masks = new BitmapMasks(Uint8Array.from(rows.flatMap(([x1, y1, x2, y2]) => Array.from({ length: h * w }, (_, i) => {
        const [y, x] = [Math.floor(i / w), i % w];
        return x >= x1 && x < x2 && y >= y1 && y < y2 ? 1 : 0;
      }))), rows.length, h, w);
      s.gt_instances = new InstanceData({ bboxes: Boxes.fromRows(rows), labels: Int32Array.of(0, 1, 0, 1, 0, 1), masks });
      return s;
    });
  }
  if (model instanceof ImageClassifier) {
    const C = output!.shape[1];
    return Array.from({ length: N }, () => {
      const s = new ClsDataSample();
      s.gt_label = Int32Array.of(Math.floor(rng.next() * C));
      return s;
    });
  }
  throw new Error(`no ground truth recipe for ${model.typeName}: add its task to the contract test`);
}

function checkPredictions(model: BaseModel, samples: DataSample[]): void {
  for (const s of samples) {
    if (s instanceof PoseDataSample) {
      const kp = s.pred_instances!.keypoints!;
      expect(kp.shape[0]).to.equal(1);
      expect([...(kp.data as Float32Array)].every(Number.isFinite)).to.equal(true);
      expect(s.pred_instances!.keypoint_scores!.shape).to.deep.equal([1, kp.shape[1]]);
      expect([...(s.pred_instances!.keypoint_scores!.data as Float32Array)].every(Number.isFinite), 'keypoint scores finite').to.equal(true);
    } else if (s instanceof SegDataSample) {
      const pred = s.pred_sem_seg!;
      expect(pred.shape.slice(1)).to.deep.equal(s.metainfo.ori_shape);
    } else if (s instanceof DetDataSample) {
      const p = s.pred_instances!;
      expect(p.length).to.be.at.least(0);
      expect((p.bboxes as Boxes).length).to.equal(p.length);
    } else if (s instanceof ClsDataSample) {
      const sum = s.pred_score!.reduce((a, b) => a + b, 0);
      expect(sum).to.be.closeTo(1, 1e-4);
      expect(s.pred_label!.length).to.equal(1);
    } else {
      throw new Error(`${model.typeName}: unknown sample type`);
    }
  }
}

describe('contract: every registered model', function () {
  this.timeout(600000);
  const configs = new Map<string, string>();

  before(async () => {
    await initBackend('wasm');
    for (const [k, v] of await smallestConfigs()) configs.set(k, v);
  });

  for (const type of WHOLE_MODELS) {
    it(`${type}: tensor, predict, loss + backward, state dict, export, analysis`, async () => {
      const file = configs.get(type);
      expect(file, `${type} is registered but no shipped config uses it`).to.be.a('string');
      const { model } = await buildModel(file!);
      expect(model).to.be.instanceOf(BaseModel);
      const [h, w] = SIZE[type] ?? DEFAULT_SIZE;
      SIZE_OF.set(model, [h, w]);
      const shape = [2, model.inChannels, h, w];
      const rng = new Random(11);
      const input = hostTensor('float32', shape, rng.normalArray(shape.reduce((a, b) => a * b, 1)));
      const e = tfjsEngine();

      // tensor mode: the declared outputs, finite
      const outputs = forwardTfjs(model, input);
      expect([...outputs.keys()], relative(REPO_ROOT, file!)).to.deep.equal(model.outputNames(2));
      for (const [k, t] of outputs) expect([...(t.data as Float32Array)].every(Number.isFinite), `${k} finite`).to.equal(true);

      if (model.modes.includes('predict')) {
        const samples = samplesFor(model, outputs.get('output'), rng);
        const predicted = e.tidy(() => withEngine(e, () => model.forward(e.constant(input), samples, 'predict')));
        expect(predicted).to.have.length(2);
        checkPredictions(model, predicted);
      } else {
        expect(() => model.forward(e.constant(input), [], 'predict')).to.throw(UserError, /has no 'predict' mode/);
      }
      if (model.modes.includes('loss')) {
        // loss + backward in training mode: every trainable parameter gets a finite, non-zero gradient
        model.train();
        const params = new Map([...model.namedParameters()].filter(([, p]) => p.requiresGrad));
        // a zero-initialised norm weight (mmdet ResNet's zero_init_residual) blocks its residual
        // branch's gradient by design: give such weights a value so the check sees the whole graph
        for (const [k, p] of model.namedParameters()) if (k.endsWith('.weight') && (p.data as Float32Array).every((v) => v === 0)) p.set(new Float32Array(p.data.length).fill(1));
        // at this input size no anchor of the coarsest RPN level lies inside the image, so with
        // allowed_border >= 0 (Cascade R-CNN's train_cfg.rpn) that level's neck conv would get no
        // gradient, as in mmdetection: let every valid anchor count for the check
        const rpn = model instanceof TwoStageDetector ? model.rpnHead : null;
        const border = rpn?.trainCfg?.allowed_border;
        if (rpn?.trainCfg) rpn.trainCfg.allowed_border = -1;
        const names = new Map<string, number>();
        const result = e.tidy(() => {
          const { value, grads } = e.valueAndGrads(() => {
            const { total, terms } = parseLosses(model.forward(e.constant(input), samplesFor(model, outputs.get('output'), new Random(5)), 'loss'));
            for (const [k, v] of terms) names.set(k, e.readSync(v).data[0] as number);
            return total;
          }, params);
          return { value: e.readSync(value).data[0] as number, grads: [...grads].map(([k, g]) => [k, e.readSync(g).data as Float32Array] as const) };
        });
        model.eval();
        if (rpn?.trainCfg && border !== undefined) rpn.trainCfg.allowed_border = border;
        e.pullModule(model); // BN running statistics moved on the engine during the step
        expect(Number.isFinite(result.value), 'total loss finite').to.equal(true);
        expect([...names.keys()].some((k) => k.includes('loss'))).to.equal(true);
        const dead = result.grads.filter(([, g]) => !g.some((v) => v !== 0)).map(([k]) => k);
        const bad = result.grads.filter(([, g]) => !g.every(Number.isFinite)).map(([k]) => k);
        expect(bad, 'parameters with non-finite gradients').to.deep.equal([]);
        expect(dead, 'trainable parameters without gradient').to.deep.equal([]);
      } else {
        expect(() => model.forward(e.constant(input), [], 'loss')).to.throw(UserError, /has no 'loss' mode/);
      }

      // state dict round trip (after the step: BN statistics moved): a second build loads it strictly, same outputs
      const now = forwardTfjs(model, input);
      const { model: copy } = await buildModel(file!, { initWeights: false });
      copy.loadStateDict(model.stateDict(), { strict: true });
      for (const [k, t] of forwardTfjs(copy, input)) expect(t.data, `${k} after the round trip`).to.deep.equal(now.get(k)!.data);

      // export: onnxruntime reproduces the tfjs outputs (exportOnnx verifies before returning);
      // a model that does not trace yet says so in one line
      if (model.exportable) {
        // Untrained two-stage detectors score many proposals and detections within rounding of
        // each other, so which survive NMS and top-k follows the last bits of the convolutions
        // (and which earlier tests drew from the generator first): their export is checked
        // here for tracing and naming only; test/apis/export-two-stage.test.ts compares the
        // engines with weights that separate the scores.
        const twoStage = model instanceof TwoStageDetector;
        const exported = await exportOnnx(model, { shape: shape.slice(1), batch: 2, verify: !twoStage });
        if (!twoStage) expect(exported.verification!.passed).to.equal(true);
        expect(exported.outputs.map((o) => o.name)).to.deep.equal(model.outputNames(2));
      } else {
        const err = await exportOnnx(model, { shape: shape.slice(1), batch: 2 }).catch((e: Error) => e);
        expect(err).to.be.instanceOf(UserError);
        expect((err as Error).message).to.match(/cannot be exported to ONNX yet/);
      }

      // analysis: the parameter count and a positive MAC count; a model whose post-processing
      // reads values (not exportable) may instead refuse in one line
      try {
        const analysis = analyzeModel(model, { inputShape: shape.slice(1) });
        expect(analysis.params).to.equal(model.numParameters());
        expect(analysis.macs).to.be.greaterThan(0);
      } catch (err) {
        if (model.exportable || !(err instanceof UserError)) throw err;
        expect((err as Error).message).to.match(/reads the values of/);
      }

      // the training step pinned the engine copies: free them for the tests that follow
      e.release(model);
      e.release(copy);
    });
  }
});
