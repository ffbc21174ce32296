import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'chai';
import { sharedFixtures } from '../fixture-root';
import { readFileSync } from 'fs';
import { join } from 'path';
import * as F from '../../src/core/ops';
import type { RoiAlignOptions } from '../../src/core/engine';
import type { Tensor } from '../../src/core/tensor';
import { TfTensor, unwrap } from '../../src/engines/tfjs/tfjs-engine';
import { describeOnBackends, type Harness } from './helpers/backends';
import { expectTensor, values } from './helpers/expect-tensor';
import { arr, randArr, roiAlignRef, type Arr, type RoiSpec } from './helpers/reference';
import { readSafetensors } from '../../src/io/safetensors';

const DET_FIXTURES = join(sharedFixtures(), 'det');

const spec = (o: Partial<RoiSpec> & { outputSize: [number, number] }): RoiSpec => ({
  spatialScale: 1,
  samplingRatio: 0,
  aligned: true,
  mode: 'avg',
  ...o,
});

/** f(y, x) = 4y + x + 1 on a 4x4 map: bilinear interpolation of it is exact inside the map. */
const RAMP = arr([1, 1, 4, 4], Array.from({ length: 16 }, (_, i) => i + 1));

function roiAlign(h: Harness, features: Arr | Tensor, rois: number[][], o: RoiAlignOptions): Tensor {
  const f = 'data' in features ? h.f32(features.shape, features.data) : features;
  return h.run(() => F.roiAlign(f, h.f32([rois.length, 5], rois.flat()), o));
}

describeOnBackends('op layer: RoIAlign (mmcv 2.x semantics)', (h) => {
  describe('hand-computed', () => {
    it('aligned: corners shift by -0.5, one sample at each bin centre', () => {
      // RoI 1..3 → 0.5..2.5, bins of 1 px centred at 1 and 2
      const y = roiAlign(h, RAMP, [[0, 1, 1, 3, 3]], spec({ outputSize: [2, 2] }));
      expectTensor(h.read(y), [1, 1, 2, 2], [6, 7, 10, 11]);
    });

    it('not aligned: no shift, bin centres at 1.5 and 2.5', () => {
      const y = roiAlign(h, RAMP, [[0, 1, 1, 3, 3]], spec({ outputSize: [2, 2], aligned: false }));
      expectTensor(h.read(y), [1, 1, 2, 2], [8.5, 9.5, 12.5, 13.5]);
    });

    it('spatial scale and a fixed sampling ratio: 2x2 samples per bin', () => {
      // RoI 0..8 at scale 0.5, aligned → -0.5..3.5; bins of 2 px, samples at 0 and 1 (bin 0), 2 and 3 (bin 1)
      const y = roiAlign(h, RAMP, [[0, 0, 0, 8, 8]], spec({ outputSize: [2, 2], spatialScale: 0.5, samplingRatio: 2 }));
      expectTensor(h.read(y), [1, 1, 2, 2], [3.5, 5.5, 11.5, 13.5]);
    });

    it('samples beyond the map read 0; those at the last row/column are clamped there (avg and max)', () => {
      // not aligned, RoI 3..5 → 2x2 samples at 3.5 and 4.5: (3.5, 3.5) reads the corner (16), the rest lie beyond 4
      const avg = roiAlign(h, RAMP, [[0, 3, 3, 5, 5]], spec({ outputSize: [1, 1], aligned: false }));
      expectTensor(h.read(avg), [1, 1, 1, 1], [4]);
      const max = roiAlign(h, RAMP, [[0, 3, 3, 5, 5]], spec({ outputSize: [1, 1], aligned: false, mode: 'max' }));
      expectTensor(h.read(max), [1, 1, 1, 1], [16]);
    });

    it('samples in [-1, 0) are clamped to 0; below -1 they read 0', () => {
      const near = roiAlign(h, RAMP, [[0, -1, -1, 0, 0]], spec({ outputSize: [1, 1], aligned: false }));
      expectTensor(h.read(near), [1, 1, 1, 1], [1]);
      const far = roiAlign(h, RAMP, [[0, -4, -4, -2, -2]], spec({ outputSize: [1, 1], aligned: false }));
      expectTensor(h.read(far), [1, 1, 1, 1], [0]);
    });

    it('not aligned: a RoI smaller than a pixel grows to 1x1', () => {
      // RoI 1..1.2 → 1x1 from 1: one sample at 1.5
      const y = roiAlign(h, RAMP, [[0, 1, 1, 1.2, 1.2]], spec({ outputSize: [1, 1], aligned: false }));
      expectTensor(h.read(y), [1, 1, 1, 1], [8.5]);
      // aligned: no minimum; an empty RoI has an empty grid and gives 0
      const empty = roiAlign(h, RAMP, [[0, 2, 2, 2, 2]], spec({ outputSize: [1, 1] }));
      expectTensor(h.read(empty), [1, 1, 1, 1], [0]);
    });

    it('picks the image by batch index and keeps channels apart', () => {
      // image 0: channels f and 100 - f; image 1: -f and 0
      const data = [...RAMP.data, ...RAMP.data.map((v) => 100 - v), ...RAMP.data.map((v) => -v), ...new Array(16).fill(0)];
      const feats = arr([2, 2, 4, 4], data);
      const y = roiAlign(h, feats, [[1, 1, 1, 3, 3], [0, 1, 1, 3, 3]], spec({ outputSize: [2, 2] }));
      expectTensor(h.read(y), [2, 2, 2, 2], [-6, -7, -10, -11, 0, 0, 0, 0, 6, 7, 10, 11, 94, 93, 90, 89]);
    });

    it('no RoIs give an empty [0, C, oh, ow] result; a bad batch index is an error', () => {
      const y = roiAlign(h, randArr([1, 3, 4, 4], 1), [], spec({ outputSize: [7, 7] }));
      expect(h.read(y).shape).to.deep.equal([0, 3, 7, 7]);
      expect(() => roiAlign(h, RAMP, [[1, 0, 0, 2, 2]], spec({ outputSize: [2, 2] }))).to.throw(/batch index 1/);
    });
  });

  describe('against the reference loop', () => {
    const feats = randArr([2, 3, 10, 12], 201, -2, 2);
    // RoIs in image pixels at stride 2 (map 20x24): inside, crossing every border, tiny, large, fractional
    const rois = [
      [0, 2.3, 3.1, 15.7, 12.2],
      [1, -6, -4, 8, 9],
      [0, 14, 10, 30, 26],
      [1, 0.4, 0.6, 1.1, 1.9],
      [0, -3, 5, 27, 19.5],
      [1, 5.5, 2.25, 23.75, 19],
      [0, 22, 18, 23, 19],
      [1, 20, 3, 40, 4],
    ];
    const grid: [string, Partial<RoiSpec> & { outputSize: [number, number] }][] = [
      ['7x7 aligned adaptive avg', { outputSize: [7, 7], spatialScale: 0.5 }],
      ['7x7 not aligned adaptive avg', { outputSize: [7, 7], spatialScale: 0.5, aligned: false }],
      ['3x2 aligned, sampling 2', { outputSize: [3, 2], spatialScale: 0.5, samplingRatio: 2 }],
      ['2x3 not aligned, sampling 3, scale 0.25', { outputSize: [2, 3], spatialScale: 0.25, aligned: false, samplingRatio: 3 }],
      ['7x7 aligned adaptive max', { outputSize: [7, 7], spatialScale: 0.5, mode: 'max' }],
      ['3x3 not aligned, sampling 2, max', { outputSize: [3, 3], spatialScale: 0.5, aligned: false, samplingRatio: 2, mode: 'max' }],
      ['1x1 aligned, scale 1 (large grids)', { outputSize: [1, 1], spatialScale: 1 }],
    ];
    for (const [name, o] of grid) {
      it(name, () => {
        const ref = roiAlignRef(feats, rois, spec(o));
        expectTensor(h.read(roiAlign(h, feats, rois, spec(o))), ref.shape, ref.data, { atol: 1e-5, rtol: 1e-5 });
      });
    }
  });

  describe('gradient with respect to the features', () => {
    const feats = randArr([2, 2, 6, 7], 211, -2, 2);
    const rois = [
      [0, 1.3, 0.7, 9.5, 8.2],
      [1, -3, -2, 6, 5],
      [0, 6, 4, 16, 14],
      [1, 2, 2, 3, 3],
    ];
    const cases: [string, Partial<RoiSpec> & { outputSize: [number, number] }][] = [
      ['avg, aligned, adaptive', { outputSize: [3, 3], spatialScale: 0.75 }],
      ['avg, not aligned, sampling 2', { outputSize: [2, 3], spatialScale: 0.5, aligned: false, samplingRatio: 2 }],
      ['max, aligned, adaptive', { outputSize: [2, 2], spatialScale: 0.75, mode: 'max' }],
    ];
    for (const [name, o] of cases) {
      it(`matches central finite differences: ${name}`, () => {
        const s = spec(o);
        const weights = randArr([rois.length, 2, ...s.outputSize], 212);
        const r = h.f32([rois.length, 5], rois.flat());
        // loss = sum(RoIAlign(f) * w): its gradient is the vector-Jacobian product with dy = w
        // (NHWC tensors, as the engine stores them; only RoIAlign's own gradient is involved)
        const forward = (f: tf.Tensor) => unwrap(h.run(() => F.roiAlign(new TfTensor(f), r, s)));
        const w = unwrap(h.f32(weights.shape, weights.data));
        const wData = w.dataSync();
        const x0 = unwrap(h.f32(feats.shape, feats.data));
        const grad = h.read(new TfTensor(tf.grad(forward)(x0, w)));
        const loss = (f: tf.Tensor) => {
          const y = forward(f).dataSync();
          let acc = 0;
          for (let i = 0; i < y.length; i++) acc += y[i] * wData[i];
          return acc;
        };
        const base = x0.dataSync();
        const eps = 1e-2;
        const fd = new Float64Array(base.length);
        for (let i = 0; i < base.length; i++) {
          const at = (d: number) => {
            const p = Float32Array.from(base);
            p[i] += d;
            return tf.tidy(() => loss(tf.tensor(p, x0.shape)));
          };
          fd[i] = (at(eps) - at(-eps)) / (2 * eps);
        }
        // fd is in NHWC order; bring it to NCHW like the gradient read back
        const fdNchw = values(h.read(new TfTensor(tf.tensor(Float32Array.from(fd), x0.shape, 'float32'))));
        expectTensor(grad, feats.shape, fdNchw, { atol: 2e-3, rtol: 1e-3 });
        expect(values(grad).some((v) => Math.abs(v) > 0.05)).to.equal(true);
      });
    }
  });

  describe('mmdetection fixtures: roi_feats of the first 8 proposals', () => {
    for (const name of ['faster_rcnn_tiny', 'mask_rcnn_tiny', 'cascade_rcnn_tiny']) {
      const dir = join(DET_FIXTURES, name);
      it(name, async () => {
        const io = (await readSafetensors(join(dir, 'io.safetensors'))).tensors;
        const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
        const extractor = config.model.roi_head.bbox_roi_extractor;
        const finest: number = extractor.finest_scale ?? 56;
        const strides: number[] = extractor.featmap_strides;
        const proposals = io.get('proposals')!.data as Float32Array;
        const ref = io.get('roi_feats')!;
        const [k, c, oh, ow] = ref.shape;
        // SingleRoIExtractor: level = floor(log2(sqrt(w*h) / finest_scale + 1e-6)) clamped to [0, 3]
        const out = new Float32Array(ref.data.length);
        const per = c * oh * ow;
        for (let i = 0; i < k; i++) {
          const [x1, y1, x2, y2] = proposals.subarray(5 * i, 5 * i + 4);
          const scale = Math.sqrt((x2 - x1) * (y2 - y1));
          const level = Math.min(3, Math.max(0, Math.floor(Math.log2(scale / finest + 1e-6))));
          const neck = io.get(`neck.${level}`)!;
          const feats = h.f32(neck.shape, neck.data as Float32Array);
          const o: RoiAlignOptions = { outputSize: [oh, ow], spatialScale: 1 / strides[level], samplingRatio: 0, aligned: true, mode: 'avg' };
          const y = roiAlign(h, feats, [[0, x1, y1, x2, y2]], o);
          out.set(h.read(y).data as Float32Array, i * per);
        }
        const refData = ref.data as Float32Array;
        const scaleRef = Math.max(1, ...Array.from(refData, Math.abs));
        expectTensor({ dtype: 'float32', shape: ref.shape, data: out }, ref.shape, refData, { atol: 1e-4 * scaleRef, rtol: 0 });
      });
    }
  });

  // a guard against gross slowdowns only (about 0.1 s on an idle 2-core machine; 1000 RoIs x 256
  // channels take about 0.25 s of CPU): the bound leaves room for a loaded CI machine
  it('runs 512 RoIs x 64 channels x 7x7 on a 100x168 map quickly', function () {
    const feats = h.f32([1, 64, 100, 168], randArr([1, 64, 100, 168], 221).data);
    const r = randArr([512, 4], 222, 0, 1);
    const rois: number[][] = [];
    for (let i = 0; i < 512; i++) {
      const [x, y, w, hh] = [r.data[4 * i] * 600, r.data[4 * i + 1] * 350, 8 + r.data[4 * i + 2] * 60, 8 + r.data[4 * i + 3] * 60];
      rois.push([0, x, y, x + w, y + hh]);
    }
    const o = spec({ outputSize: [7, 7], spatialScale: 0.25 });
    const boxes = h.f32([rois.length, 5], rois.flat());
    const t0 = Date.now();
    const y = h.run(() => F.roiAlign(feats, boxes, o));
    h.read(y);
    expect(Date.now() - t0).to.be.below(3000);
  });
});
