/**
 * Two-stage detectors (Faster R-CNN, Cascade R-CNN, Mask R-CNN, Cascade Mask R-CNN) exported
 * whole: onnxruntime and tfjs give the same detections (boxes within 1e-3 relative, identical
 * labels, mask probabilities within 1e-3) on random images (the export's own verification,
 * which must pass) and on structured ones with real image sizes and scale factors as graph
 * inputs, batch 1 and 2.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildModel } from '../../src/apis/build-model';
import { exportOnnx, type ExportResult } from '../../src/apis/export';
import { forwardTfjs } from '../../src/apis/forward';
import { loadStateDictInto } from '../../src/apis/load-weights';
import { UserError } from '../../src/core/errors';
import { hostTensor, type HostTensor } from '../../src/core/host-tensor';
import { seed } from '../../src/core/random';
import { loadCheckpoint } from '../../src/io/checkpoint';
import type { BaseModel } from '../../src/models/base-model';
import { OnnxModel } from '../../src/runtime/onnx-model';
import { DetDataSample } from '../../src/structures/det-data-sample';
import { detFixtureDir } from '../models/detectors/det-fixture';
import { useTfjs } from '../engines/onnx/helpers/parity';
import '../../src/components';

const SHAPE = [3, 128, 160];

/** Standard ONNX operators the two-stage graphs are made of (the default domain, opset 17). */
const STANDARD_OPS = new Set([
  'Conv', 'ConvTranspose', 'Relu', 'Sigmoid', 'Softmax', 'Exp', 'Log', 'Sqrt', 'Floor', 'Neg', 'Add', 'Sub', 'Mul', 'Div', 'Max', 'Min',
  'Clip', 'Greater', 'Equal', 'Where', 'Cast', 'ReduceMin', 'ReduceMax', 'ReduceSum', 'Resize', 'AveragePool', 'MaxPool', 'Concat',
  'Reshape', 'Transpose', 'Slice', 'Gather', 'Unsqueeze', 'Squeeze', 'Shape', 'Range', 'TopK', 'NonMaxSuppression', 'RoiAlign', 'Gemm', 'Identity',
]);

interface Case {
  name: string;
  model: () => Promise<BaseModel>;
}

async function fixtureDetector(name: string, edit: (model: Record<string, any>) => void = () => {}): Promise<BaseModel> {
  const dir = detFixtureDir(name);
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  edit(cfg.model);
  seed(3);
  const { model } = await buildModel({ model: cfg.model });
  const path = join(dir, 'state_dict.pth');
  loadStateDictInto(model, (await loadCheckpoint(path)).stateDict, path, { strict: false });
  return model;
}

const CASES: Case[] = [
  { name: 'FasterRCNN', model: () => fixtureDetector('faster_rcnn_tiny') },
  { name: 'CascadeRCNN', model: () => fixtureDetector('cascade_rcnn_tiny') },
  { name: 'MaskRCNN', model: () => fixtureDetector('mask_rcnn_tiny') },
  {
    // the cascade fixture plus three randomly initialised mask heads
    name: 'Cascade Mask R-CNN',
    model: () =>
      fixtureDetector('cascade_rcnn_tiny', (m) => {
        m.roi_head.mask_roi_extractor = { type: 'SingleRoIExtractor', roi_layer: { type: 'RoIAlign', output_size: 14, sampling_ratio: 0 }, out_channels: 32, featmap_strides: [4, 8, 16, 32] };
        m.roi_head.mask_head = { type: 'FCNMaskHead', num_convs: 2, in_channels: 32, conv_out_channels: 8, num_classes: 80 };
        m.test_cfg.rcnn.mask_thr_binary = 0.5;
      }),
  },
];

/** A normalised picture: a smooth gradient with bright and dark rectangles, different per image. */
function structured(batch: number): HostTensor {
  const [c, h, w] = SHAPE;
  const data = new Float32Array(batch * c * h * w);
  for (let n = 0; n < batch; n++) {
    const rects = [[10 + 20 * n, 12, 70, 60, 2.2], [60, 40 + 10 * n, 140, 110, -1.8], [100, 8, 150, 40, 1.2]];
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          let v = (x / w - 0.5) * (ch + 1) * 0.8 + Math.sin(y / 9) * 0.3;
          for (const [x1, y1, x2, y2, val] of rects) if (x >= x1 && x < x2 && y >= y1 && y < y2) v = val * (ch === n % 3 ? 1 : 0.6);
          data[((n * c + ch) * h + y) * w + x] = v;
        }
      }
    }
  }
  return hostTensor('float32', [batch, ...SHAPE], data);
}

const pair = (v: number[]): [number, number] => [v[0], v[1]];

/** Per image a resized-image size inside the padded input and its scale factor. */
function metas(batch: number): { img_shape: HostTensor; scale_factor: HostTensor; samples: DetDataSample[] } {
  const all = [
    { img_shape: [120, 150], ori_shape: [240, 300], scale_factor: [0.5, 0.5] },
    { img_shape: [128, 96], ori_shape: [160, 120], scale_factor: [0.8, 0.8] },
  ].slice(0, batch);
  return {
    img_shape: hostTensor('float32', [batch, 2], Float32Array.from(all.flatMap((m) => m.img_shape))),
    scale_factor: hostTensor('float32', [batch, 2], Float32Array.from(all.flatMap((m) => m.scale_factor))),
    samples: all.map((m) => new DetDataSample({ img_shape: pair(m.img_shape), ori_shape: pair(m.ori_shape), scale_factor: pair(m.scale_factor), pad_shape: [128, 160] })),
  };
}

/**
 * Detection k of onnxruntime matched to one of tfjs: the same label, box and score within
 * 1e-3 * max(1, |tfjs|), the same rank where it is free. The two engines' convolutions round
 * differently (onnxruntime's fused graph against tfjs's eager kernels), so detections whose
 * scores agree to 1e-5 may trade ranks, and at the max_per_img cut a detection scoring
 * within 1e-5 of the last kept one may replace it; anything else must match. Returns for each
 * onnxruntime detection the index of its tfjs match (-1 for such a cut replacement).
 */
function matchDetections(da: Float32Array, la: number[], db: Float32Array, lb: number[], what: string): number[] {
  const n = lb.length;
  const close = (x: number, y: number) => Math.abs(x - y) <= 1e-3 * Math.max(1, Math.abs(y));
  const same = (k: number, j: number) => la[k] === lb[j] && [0, 1, 2, 3, 4].every((c) => close(da[5 * k + c], db[5 * j + c]));
  const lowest = n ? db[5 * (n - 1) + 4] : 0;
  const used = new Uint8Array(n);
  const order: number[] = [];
  let replaced = 0;
  for (let k = 0; k < n; k++) {
    let j = !used[k] && same(k, k) ? k : -1;
    for (let t = 0; j < 0 && t < n; t++) if (!used[t] && Math.abs(db[5 * t + 4] - da[5 * k + 4]) <= 1e-5 && same(k, t)) j = t;
    if (j < 0) {
      expect(Math.abs(da[5 * k + 4] - lowest), `${what}[${k}] (label ${la[k]}, score ${da[5 * k + 4]}) has no tfjs match and is not at the max_per_img cut (${lowest})`).to.be.at.most(1e-5);
      replaced++;
    } else used[j] = 1;
    order.push(j);
  }
  expect(replaced, `${what}: detections replaced at the cut`).to.be.at.most(2);
  return order;
}

/** The same detections (`matchDetections`); mask probabilities within 1e-3. */
function expectSameDetections(onnx: Map<string, HostTensor>, tfjs: Map<string, HostTensor>, batch: number, what: string): number {
  let total = 0;
  for (let i = 0; i < batch; i++) {
    const sfx = batch > 1 ? `.${i}` : '';
    const [a, b] = [onnx.get(`dets${sfx}`)!, tfjs.get(`dets${sfx}`)!];
    expect([...a.shape], `${what} dets${sfx} shape`).to.deep.equal([...b.shape]);
    const labels = (m: Map<string, HostTensor>) => Array.from(m.get(`labels${sfx}`)!.data as ArrayLike<number | bigint>, Number);
    const order = matchDetections(a.data as Float32Array, labels(onnx), b.data as Float32Array, labels(tfjs), `${what} dets${sfx}`);
    const ma0 = onnx.get(`masks${sfx}`);
    if (ma0) expect(order.every((j, k) => j === k), `${what}: mask models are compared in detection order`).to.equal(true);
    const mb = tfjs.get(`masks${sfx}`);
    if (mb) {
      const ma = onnx.get(`masks${sfx}`)!;
      expect([...ma.shape]).to.deep.equal([...mb.shape]);
      const [pa, pb] = [ma.data as Float32Array, mb.data as Float32Array];
      let worst = 0;
      for (let k = 0; k < pb.length; k++) worst = Math.max(worst, Math.abs(pa[k] - pb[k]));
      expect(worst, `${what} masks${sfx}`).to.be.at.most(1e-3);
    }
    total += b.shape[0];
  }
  return total;
}

describe('exportOnnx: two-stage detectors, the whole test path in the graph', function () {
  this.timeout(300000);
  before(useTfjs);

  for (const c of CASES) {
    describe(c.name, function () {
      let model: BaseModel;
      before(async () => {
        model = await c.model();
      });

      for (const batch of [1, 2]) {
        it(`batch ${batch}: verifies, standard ops only, and gives tfjs's detections on random and structured images with real image sizes`, async function () {
          const r: ExportResult = await exportOnnx(model, { shape: SHAPE, batch });
          expect(r.verification?.passed).to.equal(true);
          expect([...r.ops.keys()].filter((op) => !STANDARD_OPS.has(op))).to.deep.equal([]);
          for (const op of ['NonMaxSuppression', 'RoiAlign', 'TopK']) expect(r.ops.has(op), op).to.equal(true);
          expect(r.inputs.map((v) => v.name)).to.deep.equal(['input', 'img_shape', 'scale_factor']);
          const session = await OnnxModel.load(r.bytes, { provider: 'cpu' });
          try {
            // random images with whole-image metas: the export's verification above (dets by the
            // box rule, labels identical); here a structured image with real image sizes
            const m = metas(batch);
            const input = structured(batch);
            const feeds = { input, img_shape: m.img_shape, scale_factor: m.scale_factor };
            const onnx = await session.run(feeds);
            const detections = expectSameDetections(onnx, forwardTfjs(model, new Map(Object.entries(feeds))), batch, 'structured');
            // the eager path from the samples' metas (scale factors' reciprocal in double) agrees too
            if (batch === 2) expectSameDetections(onnx, forwardTfjs(model, input, m.samples), batch, 'structured (metas)');
            expect(detections, 'detections compared').to.be.greaterThan(0);
          } finally {
            await session.dispose();
          }
        });
      }
    });
  }

  it('--outputs keeps only the detections (per-image names follow); an unknown name is refused in one line', async function () {
    const model = await CASES[2].model();
    const r = await exportOnnx(model, { shape: SHAPE, batch: 2, outputs: ['dets', 'labels', 'masks'] });
    expect(r.verification?.passed).to.equal(true);
    expect(r.outputs.map((o) => o.name)).to.deep.equal(['dets.0', 'labels.0', 'masks.0', 'dets.1', 'labels.1', 'masks.1']);
    expect(r.verification!.runs[0].outputs.map((c) => c.name)).to.deep.equal(['dets.0', 'labels.0', 'masks.0', 'dets.1', 'labels.1', 'masks.1']);
    let err: unknown;
    await exportOnnx(model, { shape: SHAPE, outputs: ['detections'] }).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(UserError);
    expect((err as Error).message).to.match(/has no output 'detections' \(it has: .*dets, labels/);
  });

  it('refuses a dynamic export in one line', async function () {
    const model = await CASES[0].model();
    for (const o of [{ dynamic: true }, { dynamicBatch: true }]) {
      let err: unknown;
      await exportOnnx(model, { shape: SHAPE, ...o }).catch((e: unknown) => (err = e));
      expect(err).to.be.instanceOf(UserError);
      expect((err as Error).message).to.match(/fixed batch and image size only.*--dynamic/);
    }
  });
});
