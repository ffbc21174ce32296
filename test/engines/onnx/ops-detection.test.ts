import { expect } from 'chai';
import { hostTensor } from '../../../src/core/host-tensor';
import * as F from '../../../src/core/ops';
import { Random } from '../../../src/core/random';
import type { Tensor } from '../../../src/core/tensor';
import { expectClose, expectParity, opsOf, randomTensor, runTfjs, runTraced, tensorOf, traceOps, useTfjs } from './helpers/parity';

type Box = [number, number, number, number];

const f32 = (name: string, shape: number[], values: number[]) => ({ name, value: tensorOf('float32', shape, values) });

/** Random boxes in a 100x80 image, some reaching outside it. */
function randomBoxes(n: number, seed: number): Box[] {
  const r = new Random(seed);
  return Array.from({ length: n }, () => {
    const x = r.uniform(-10, 100);
    const y = r.uniform(-10, 80);
    return [x, y, x + r.uniform(2, 40), y + r.uniform(2, 40)];
  });
}

describe('onnx tracer: detection ops match tfjs', function () {
  before(useTfjs);

  describe('topk and gather', () => {
    it('topk along the last axis, with ties (lower index first)', async () => {
      const x = f32('x', [2, 6], [3, 1, 3, 2, 3, 0, 5, 5, 1, 5, 2, 2]);
      const t = await expectParity((a) => {
        const r = F.topk(a, 4);
        return [r.values, r.indices];
      }, [x]);
      expect(opsOf(t.graph)).to.deep.equal(['TopK']);
      await expectParity((a) => {
        const r = F.topk(a, 5);
        return [r.values, r.indices];
      }, [{ name: 'x', value: randomTensor([3, 2, 9], 1) }]);
    });

    it('gather along each axis with int32 and 2-D indices', async () => {
      const x = { name: 'x', value: randomTensor([3, 4, 5, 2], 2) };
      const idx = { name: 'i', value: tensorOf('int32', [3], [2, 0, 2]) };
      for (const axis of [0, 1, 2]) await expectParity((a, i) => F.gather(a, i, axis), [x, idx]);
      const idx2 = { name: 'i', value: tensorOf('int32', [2, 2], [1, 0, 3, 3]) };
      await expectParity((a, i) => F.gather(a, i, 1), [x, idx2]);
    });

    it('topk indices feed gather', async () => {
      await expectParity((s, b) => F.gather(b, F.topk(s, 3).indices, 0), [
        { name: 's', value: randomTensor([7], 3) },
        { name: 'b', value: randomTensor([7, 4], 4) },
      ]);
    });
  });

  describe('NMS (NonMaxSuppression, no custom op)', () => {
    const nmsCase = async (boxes: Box[], scores: number[], opts: Parameters<typeof F.nms>[2]) => {
      const inputs = [f32('boxes', [boxes.length, 4], boxes.flat()), f32('scores', [scores.length], scores)];
      const t = await expectParity((b, s) => F.nms(b, s, opts), inputs);
      expect(opsOf(t.graph)).to.include('NonMaxSuppression');
      expect(t.graph.nodes.every((n) => !n.op.includes('.') && n.op !== 'NMS')).to.equal(true);
    };

    it('random boxes, some outside the image', async () => {
      const boxes = randomBoxes(60, 5);
      const r = new Random(6);
      const scores = boxes.map(() => r.next());
      await nmsCase(boxes, scores, { iouThreshold: 0.5 });
      await nmsCase(boxes, scores, { iouThreshold: 0.3, maxOutput: 7 });
      await nmsCase(boxes, scores, { iouThreshold: 0.6, scoreThreshold: 0.4 });
    });

    it('ties in scores keep the lower index first', async () => {
      const boxes: Box[] = [
        [50, 50, 60, 60],
        [0, 0, 10, 10],
        [100, 100, 110, 110],
        [0, 0, 10, 10],
        [1, 1, 10, 10],
        [200, 0, 210, 10],
      ];
      await nmsCase(boxes, [0.5, 0.5, 0.5, 0.5, 0.5, 0.5], { iouThreshold: 0.5 });
      await nmsCase(boxes, [0.5, 0.7, 0.5, 0.7, 0.5, 0.7], { iouThreshold: 0.5 });
    });

    it('empty (zero-area) and inverted boxes never suppress nor get suppressed', async () => {
      const boxes: Box[] = [
        [0, 0, 10, 10],
        [5, 5, 5, 5],
        [0, 0, 0, 10],
        [10, 10, 0, 0],
        [1, 1, 9, 9],
        [3, 3, 3, 3],
      ];
      await nmsCase(boxes, [0.9, 0.95, 0.8, 0.99, 0.7, 0.6], { iouThreshold: 0.3 });
    });

    it('score threshold drops scores at the threshold; maxOutput 0 keeps nothing', async () => {
      const boxes: Box[] = [0, 1, 2, 3, 4].map((i) => [i * 20, 0, i * 20 + 10, 10]);
      const scores = [0.1, 0.5, 0.3, 0.9, 0.3];
      await nmsCase(boxes, scores, { iouThreshold: 0.5, scoreThreshold: 0.3 });
      await nmsCase(boxes, scores, { iouThreshold: 0.5, scoreThreshold: 0.95 });
      await nmsCase(boxes, scores, { iouThreshold: 0.5, maxOutput: 0 });
    });

    it('with dynamic box counts, run at another count', async () => {
      const opts = { iouThreshold: 0.5, scoreThreshold: 0.2 };
      const boxes = randomBoxes(40, 7);
      const r = new Random(8);
      const scores = boxes.map(() => r.next());
      const inputs = [
        { name: 'boxes', value: tensorOf('float32', [40, 4], boxes.flat()), symbols: ['n', null] },
        { name: 'scores', value: tensorOf('float32', [40], scores), symbols: ['n'] },
      ];
      const fn = (b: Tensor, s: Tensor) => F.nms(b, s, opts);
      const t = await traceOps(fn, inputs);
      expect(t.graph.inputs[0].dims[0]).to.deep.equal({ op: 'sym', name: 'n' });
      for (const n of [40, 17, 1]) {
        const other = [tensorOf('float32', [n, 4], randomBoxes(n, 9 + n).flat()), tensorOf('float32', [n], scores.slice(0, n))];
        expectClose(await runTraced(t, other, ['boxes', 'scores']), runTfjs(fn, other));
      }
      await t.model.dispose();
    });
  });

  describe('RoIAlign (opset 16 RoiAlign)', () => {
    const features = { name: 'f', value: randomTensor([2, 3, 12, 16], 9) };
    const rois = (list: number[][]) => ({ name: 'r', value: tensorOf('float32', [list.length, 5], list.flat()) });
    const cases: number[][] = [
      [0, 1.3, 2.2, 9.7, 8.1],
      [1, 0, 0, 15, 11],
      [0, -4, -3, 6, 5],
      [1, 10, 6, 40, 30],
      [1, 3.5, 3.5, 3.9, 4.2],
      [0, 7, 7, 7, 7],
    ];

    for (const aligned of [true, false]) {
      for (const samplingRatio of [0, 2]) {
        it(`aligned=${aligned}, sampling ratio ${samplingRatio}, boxes inside, outside and degenerate`, async () => {
          const t = await expectParity(
            (f, r) => F.roiAlign(f, r, { outputSize: [3, 4], spatialScale: 0.5, samplingRatio, aligned }),
            [features, rois(cases)],
            { atol: 1e-5 },
          );
          const node = t.graph.nodes.find((n) => n.op === 'RoiAlign')!;
          expect(node.attrs.coordinate_transformation_mode).to.deep.equal({ kind: 'string', value: aligned ? 'half_pixel' : 'output_half_pixel' });
        });
      }
    }

    it('full-scale RoIs with the default adaptive sampling', async () => {
      await expectParity((f, r) => F.roiAlign(f, r, { outputSize: [2, 2], spatialScale: 1 }), [features, rois(cases)], { atol: 1e-5 });
    });

    it("mode 'max' is refused (onnxruntime's max mode differs from mmcv's)", async () => {
      let error: Error | null = null;
      try {
        await expectParity((f, r) => F.roiAlign(f, r, { outputSize: [2, 2], spatialScale: 1, mode: 'max' }), [features, rois(cases)]);
      } catch (e) {
        error = e as Error;
      }
      expect(error?.message).to.match(/mode 'max'/);
      // the eager engine still runs it
      expect(runTfjs((f, r) => F.roiAlign(f, r, { outputSize: [2, 2], spatialScale: 1, mode: 'max' }), [features.value, rois(cases).value])[0].shape).to.deep.equal([6, 3, 2, 2]);
    });

    it('no RoIs give an empty result', async () => {
      await expectParity((f, r) => F.roiAlign(f, r, { outputSize: [2, 2], spatialScale: 1 }), [features, { name: 'r', value: hostTensor('float32', [0, 5]) }]);
    });
  });

  describe('data-dependent counts downstream of NMS', () => {
    it('class-aware NMS with a validity mask, then per-class rows reshaped [K, 4C] → [K, C, 4] → [K*C, 4]', async () => {
      const boxes = randomBoxes(40, 21);
      const scores = Array.from({ length: 40 }, (_, i) => ((i * 37) % 41) / 41);
      const deltas = randomTensor([40, 12], 22);
      const t = await expectParity(
        (b, s, d) => {
          const valid = F.greater(s, 0.2);
          const keep = F.batchedNms(b, s, F.constant(tensorOf('int32', [40], Array.from({ length: 40 }, (_, i) => i % 3))), { iouThreshold: 0.3, maxOutput: 12, valid });
          const rows = F.gather(d, keep);
          const perClass = F.reshape(F.reshape(rows, [rows.shape[0], 3, 4]), [rows.shape[0] * 3, 4]);
          return [keep, perClass, F.reshape(F.gather(s, keep), [-1, 1])];
        },
        [f32('boxes', [40, 4], boxes.flat()), f32('scores', [40], scores), { name: 'd', value: deltas }],
      );
      // the kept count is a graph dimension, not the traced bound
      expect(t.graph.outputs.some((o) => o.dims.some((d) => typeof d !== 'number'))).to.equal(true);
    });
  });
});
