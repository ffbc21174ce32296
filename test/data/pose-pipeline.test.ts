import { lossScalar } from '../../src/structures/named-tensors';
/** The mmpose top-down data pipeline end to end: synthetic pose set → loader → TopdownPoseEstimator (loss, predict) → CocoMetric. */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSyntheticDataset } from '../../src/apis/make-dataset';
import { buildModel } from '../../src/apis/build-model';
import { tfjsEngine } from '../../src/apis/forward';
import { withEngine } from '../../src/core/engine-context';
import { buildDataLoader, type DataLoader } from '../../src/data/loader';
import { initBackend } from '../../src/engines/tfjs/backend';
import { CocoKeypointMetric } from '../../src/evaluation/metrics/coco-keypoint-metric';
import type { PoseMetricSample } from '../../src/evaluation/metrics/pose-metric-sample';
import type { BaseModel } from '../../src/models/base-model';
import { MSRAHeatmap, msraHeatmapSchema } from '../../src/models/codecs/msra-heatmap';
import type { DataBatch } from '../../src/models/data-preprocessors/data-preprocessor';
import { withDefaultScope } from '../../src/registry/registry';
import type { PoseDataSample } from '../../src/structures/pose-data-sample';
import type { Progress } from '../../src/registry/services';
import '../../src/components';

const quiet: Progress = { start: () => ({ tick: () => undefined, stop: () => undefined }) };
const codec = { type: 'MSRAHeatmap', input_size: [48, 64], heatmap_size: [12, 16], sigma: 2 };

// mmpose's td-hm_hrnet pipelines (configs/body_2d_keypoint/topdown_heatmap/coco), at a small input size
const trainPipeline = [
  { type: 'LoadImage' },
  { type: 'GetBBoxCenterScale' },
  { type: 'RandomFlip', direction: 'horizontal' },
  { type: 'RandomHalfBody' },
  { type: 'RandomBBoxTransform' },
  { type: 'TopdownAffine', input_size: codec.input_size },
  { type: 'GenerateTarget', encoder: codec },
  { type: 'PackPoseInputs' },
];
const valPipeline = [{ type: 'LoadImage' }, { type: 'GetBBoxCenterScale' }, { type: 'TopdownAffine', input_size: codec.input_size }, { type: 'PackPoseInputs' }];

const hrnet = {
  type: 'HRNet',
  multiscale_output: false,
  extra: {
    stage1: { num_modules: 1, num_branches: 1, block: 'BOTTLENECK', num_blocks: [1], num_channels: [8] },
    stage2: { num_modules: 1, num_branches: 2, block: 'BASIC', num_blocks: [1, 1], num_channels: [4, 8] },
    stage3: { num_modules: 1, num_branches: 3, block: 'BASIC', num_blocks: [1, 1, 1], num_channels: [4, 8, 16] },
    stage4: { num_modules: 1, num_branches: 4, block: 'BASIC', num_blocks: [1, 1, 1, 1], num_channels: [4, 8, 16, 32] },
  },
};
const model = {
  type: 'TopdownPoseEstimator',
  data_preprocessor: { type: 'PoseDataPreprocessor', mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375], bgr_to_rgb: true },
  backbone: hrnet,
  head: { type: 'HeatmapHead', in_channels: 4, out_channels: 17, deconv_out_channels: null, loss: { type: 'KeypointMSELoss', use_target_weight: true }, decoder: codec },
  test_cfg: { flip_test: true, flip_mode: 'heatmap', shift_heatmap: true },
};

/** What mmpose's CocoMetric.process reads from a predicted sample. */
function metricSample(s: PoseDataSample): PoseMetricSample {
  const p = s.pred_instances!;
  const [, K] = p.keypoints!.shape;
  const kp = p.keypoints!.data as Float32Array;
  const sc = p.keypoint_scores!.data as Float32Array;
  const scales = s.gt_instances?.bbox_scales?.data as Float32Array | undefined;
  return {
    id: s.metainfo.id as number,
    img_id: s.metainfo.img_id as number,
    category_id: s.metainfo.category_id as number,
    pred_instances: {
      keypoints: [Array.from({ length: K }, (_, k) => [kp[2 * k], kp[2 * k + 1]])],
      keypoint_scores: [Array.from(sc)],
      bbox_scores: p.bbox_scores ? Array.from(p.bbox_scores) : undefined,
      areas: scales ? [scales[0] * scales[1]] : undefined,
    },
  };
}

describe('pose data pipeline end to end: synthetic pose set → mmpose CocoDataset → TopdownPoseEstimator → CocoMetric', function () {
  this.timeout(120000);
  let dir: string;
  let pose: BaseModel<PoseDataSample>;

  const loader = (split: 'train' | 'val', batch: number) =>
    withDefaultScope('mmpose', () =>
      buildDataLoader<PoseDataSample>(
        {
          batch_size: batch,
          sampler: { type: 'DefaultSampler', shuffle: split === 'train', seed: 0 },
          dataset: {
            type: 'CocoDataset',
            data_root: dir,
            data_mode: 'topdown',
            ann_file: `annotations/person_keypoints_${split}.json`,
            data_prefix: { img: `${split}/` },
            test_mode: split === 'val',
            pipeline: split === 'train' ? trainPipeline : valPipeline,
          },
        },
        { path: `${split}_dataloader` },
      ),
    );

  const first = async (l: DataLoader<PoseDataSample>): Promise<DataBatch<PoseDataSample>> => {
    for await (const b of l) return b;
    throw new Error('empty loader');
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hrdet-pose-e2e-'));
    await makeSyntheticDataset({ task: 'pose', out: dir, train: 8, val: 3, seed: 2, size: [96, 96], progress: quiet });
    await initBackend('cpu');
    pose = (await buildModel({ model })).model as BaseModel<PoseDataSample>;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('train: a batch of crops with heatmaps of the codec shape, seeded; the loss is finite', async () => {
    const train = loader('train', 4);
    const gt = JSON.parse(readFileSync(join(dir, 'annotations/person_keypoints_train.json'), 'utf8'));
    expect(train.dataset.length).to.equal(gt.annotations.filter((a: any) => !a.iscrowd && a.num_keypoints > 0).length);
    const batch = await first(train);
    expect(batch.inputs.map((i) => i.shape)).to.deep.equal(new Array(4).fill([3, 64, 48]));
    for (const s of batch.data_samples) {
      expect(s.gt_targets!.heatmaps.shape).to.deep.equal([17, 16, 12]);
      expect(s.gt_targets!.keypoint_weights.shape).to.deep.equal([1, 17]);
      expect(s.metainfo.input_size).to.deep.equal([48, 64]);
      expect(s.metainfo.flip_indices).to.have.length(17);
    }
    // some visible keypoint lands in the crop: its heatmap peaks at 1
    expect(Math.max(...batch.data_samples.map((s) => Math.max(...(s.gt_targets!.heatmaps.data as Float32Array))))).to.equal(1);
    // the loader's seed fixes the random transforms
    const again = await first(loader('train', 4));
    expect([...again.data_samples[0].gt_targets!.heatmaps.data]).to.deep.equal([...batch.data_samples[0].gt_targets!.heatmaps.data]);
    const e = tfjsEngine();
    pose.train();
    const losses = e.tidy(() =>
      withEngine(e, () => {
        const { inputs, data_samples } = pose.dataPreprocessor!.process(batch, true);
        const out = pose.forward(inputs, data_samples, 'loss');
        return new Map([...out].map(([k, v]) => [k, e.readSync(lossScalar(v)).data[0] as number]));
      }),
    );
    pose.eval();
    expect(Number.isFinite(losses.get('loss_kpt'))).to.equal(true);
    expect(losses.get('loss_kpt')).to.be.greaterThan(0);
    expect(losses.get('acc_pose')).to.be.within(0, 1);
  });

  // heatmaps at the input resolution, so decoding loses under a pixel of the crop
  const fine = { type: 'MSRAHeatmap', input_size: [48, 64], heatmap_size: [48, 64], sigma: 2 };

  it('geometry: the targets decoded and mapped back through input_center / input_scale score near AP 1', async () => {
    const l = withDefaultScope('mmpose', () =>
      buildDataLoader<PoseDataSample>(
        {
          batch_size: 4,
          dataset: {
            type: 'CocoDataset',
            data_root: dir,
            ann_file: 'annotations/person_keypoints_val.json',
            data_prefix: { img: 'val/' },
            test_mode: true,
            pipeline: [...valPipeline.slice(0, 3), { type: 'GenerateTarget', encoder: fine }, valPipeline[3]],
          },
        },
        { path: 'val_dataloader' },
      ),
    );
    const decoder = new MSRAHeatmap(msraHeatmapSchema.parse({ input_size: fine.input_size, heatmap_size: fine.heatmap_size, sigma: fine.sigma }));
    const metric = new CocoKeypointMetric({ ann_file: join(dir, 'annotations/person_keypoints_val.json'), nms_mode: 'none' });
    let n = 0;
    for await (const batch of l) {
      const samples = batch.data_samples.map((s) => {
        const { keypoints, scores } = decoder.decode(s.gt_targets!.heatmaps.data as Float32Array, 17);
        const [w, h] = s.metainfo.input_size!;
        const [cx, cy] = s.metainfo.input_center!;
        const [sw, sh] = s.metainfo.input_scale!;
        const kp = Array.from({ length: 17 }, (_, k) => [(keypoints[2 * k] / w) * sw + cx - sw / 2, (keypoints[2 * k + 1] / h) * sh + cy - sh / 2]);
        return { id: s.metainfo.id as number, img_id: s.metainfo.img_id as number, category_id: 1, pred_instances: { keypoints: [kp], keypoint_scores: [Array.from(scores, (v) => Math.max(v, 0.5))] } };
      });
      metric.process(batch, samples);
      n += samples.length;
    }
    const res = await metric.evaluate(n);
    expect(res['coco/AP']).to.be.greaterThan(0.99);
  });

  it('val: predict on the GT boxes in image coordinates and score them with mmpose.CocoMetric', async () => {
    const val = loader('val', 2);
    const metric = new CocoKeypointMetric({ ann_file: join(dir, 'annotations/person_keypoints_val.json') });
    metric.datasetMeta = val.dataset.metainfo;
    const e = tfjsEngine();
    let n = 0;
    for await (const batch of val) {
      const preds = e.tidy(() =>
        withEngine(e, () => {
          const { inputs, data_samples } = pose.dataPreprocessor!.process(batch, false);
          return pose.forward(inputs, data_samples, 'predict');
        }),
      );
      for (const p of preds) {
        expect(p.pred_instances!.keypoints!.shape).to.deep.equal([1, 17, 2]);
        // keypoints come back in the crop's box in the image (input_center ± input_scale / 2; a map
        // with no positive value decodes to heatmap pixel -1, a twelfth of the box outside it)
        const [cx, cy] = p.metainfo.input_center!;
        const [sw, sh] = p.metainfo.input_scale!;
        const kp = p.pred_instances!.keypoints!.data as Float32Array;
        for (let k = 0; k < 17; k++) {
          expect(kp[2 * k]).to.be.within(cx - sw / 2 - sw / 12 - 1e-3, cx + sw / 2);
          expect(kp[2 * k + 1]).to.be.within(cy - sh / 2 - sh / 16 - 1e-3, cy + sh / 2);
        }
      }
      metric.process(batch, preds.map(metricSample));
      n += preds.length;
    }
    expect(n).to.equal(val.dataset.length).and.to.be.greaterThan(0);
    const res = await metric.evaluate(n);
    expect(res['coco/AP']).to.be.a('number').and.to.be.within(0, 1);
    expect(res['coco/AR']).to.be.a('number').and.to.be.within(0, 1);
  });
});
