import { expect } from 'chai';
import { hostTensor } from '../../../../src/core/host-tensor';
import { Random } from '../../../../src/core/random';
import { BboxOverlaps2D } from '../../../../src/models/task-modules/assigners/bbox-overlaps-2d';
import type { OverlapMode } from '../../../../src/models/task-modules/assigners/bbox-overlaps';
import { describeOnBackends } from '../../../core/helpers/backends';
import { expectParity } from '../../../engines/onnx/helpers/parity';
import { boxes, buildTaskUtil, errorOf, expectAllClose } from '../helpers';

/** Brute-force float64 overlap of two boxes from the definitions. */
function overlap64(a: ArrayLike<number>, b: ArrayLike<number>, mode: OverlapMode, eps = 1e-6): number {
  const area = (x: ArrayLike<number>) => (x[2] - x[0]) * (x[3] - x[1]);
  const iw = Math.max(Math.min(a[2], b[2]) - Math.max(a[0], b[0]), 0);
  const ih = Math.max(Math.min(a[3], b[3]) - Math.max(a[1], b[1]), 0);
  const inter = iw * ih;
  const union = Math.max(mode === 'iof' ? area(a) : area(a) + area(b) - inter, eps);
  if (mode !== 'giou') return inter / union;
  const enclose = Math.max((Math.max(a[2], b[2]) - Math.min(a[0], b[0])) * (Math.max(a[3], b[3]) - Math.min(a[1], b[1])), eps);
  return inter / union - (enclose - union) / enclose;
}

function matrix64(b1: Float32Array, b2: Float32Array, mode: OverlapMode, aligned: boolean): number[] {
  const [m, n] = [b1.length / 4, b2.length / 4];
  const row = (i: number) => b1.subarray(4 * i, 4 * i + 4);
  const col = (j: number) => b2.subarray(4 * j, 4 * j + 4);
  if (aligned) return Array.from({ length: m }, (_, i) => overlap64(row(i), col(i), mode));
  return Array.from({ length: m * n }, (_, k) => overlap64(row(Math.floor(k / n)), col(k % n), mode));
}

/** Random boxes, some degenerate (zero width), some disjoint from everything, some nested. */
function randomBoxes(n: number, seed: number): Float32Array {
  const r = new Random(seed);
  const out = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) {
    const [x, y] = [r.uniform(0, 60), r.uniform(0, 40)];
    const w = i % 7 === 3 ? 0 : r.uniform(0.5, 30);
    out.set([x, y, x + w, y + r.uniform(0.5, 30)], 4 * i);
  }
  return out;
}

const modes: OverlapMode[] = ['iou', 'iof', 'giou'];

describeOnBackends('BboxOverlaps2D on engine tensors', (h) => {
  const calc = new BboxOverlaps2D();
  const t = (b: Float32Array, lead: number[] = []) => h.f32([...lead, b.length / 4 / (lead[0] ?? 1), 4], b);
  const read = (x: unknown) => Array.from(h.read(x as never).data as Float32Array);

  it("mmdetection's documented example", () => {
    const b1 = boxes([[0, 0, 10, 10], [10, 10, 20, 20], [32, 32, 38, 42]]);
    const b2 = boxes([[0, 0, 10, 20], [0, 10, 10, 19], [10, 10, 20, 20]]);
    h.run(() => {
      expect(read(calc.overlaps(t(b1), t(b2)))).to.deep.equal([0.5, 0, 0, 0, 0, 1, 0, 0, 0]);
      expect(read(calc.overlaps(t(b1), t(b2), 'iou', true))).to.deep.equal([0.5, 0, 0]);
    });
  });

  it('IoU, IoF and GIoU, aligned and not, against float64 brute force; equal to the host values', () => {
    const [b1, b2] = [randomBoxes(13, 1), randomBoxes(9, 2)];
    const a2 = randomBoxes(13, 3);
    h.run(() => {
      for (const mode of modes) {
        const full = read(calc.overlaps(t(b1), t(b2), mode));
        expectAllClose(full, matrix64(b1, b2, mode, false), 2e-6, 2e-6, mode);
        expect(full, `${mode} host`).to.deep.equal(Array.from(calc.overlapsHost(b1, b2, mode)));
        const aligned = read(calc.overlaps(t(b1), t(a2), mode, true));
        expectAllClose(aligned, matrix64(b1, a2, mode, true), 2e-6, 2e-6, `${mode} aligned`);
        expect(aligned, `${mode} aligned host`).to.deep.equal(Array.from(calc.overlapsHost(b1, a2, mode, true)));
      }
    });
  });

  it('GIoU of disjoint boxes is negative (hand value)', () => {
    h.run(() => {
      const g = read(calc.overlaps(t(boxes([[0, 0, 1, 1]])), t(boxes([[2, 0, 3, 1]])), 'giou'));
      expectAllClose(g, [-1 / 3], 1e-7, 0);
    });
  });

  it('batched leading dims, a score column dropped, empty inputs', () => {
    const [b1, b2] = [randomBoxes(6, 4), randomBoxes(4, 5)];
    h.run(() => {
      const batched = calc.overlaps(t(b1, [2]), t(b2, [2]));
      expect(batched.shape).to.deep.equal([2, 3, 2]);
      expectAllClose(read(batched).slice(6), matrix64(b1.subarray(12), b2.subarray(8), 'iou', false), 2e-6, 2e-6);
      const withScore = h.f32([2, 5], [0, 0, 10, 10, 0.9, 5, 5, 15, 15, 0.1]);
      expectAllClose(read(calc.overlaps(withScore, withScore)), [1, 25 / 175, 25 / 175, 1], 1e-6, 1e-6);
      const empty = h.f32([0, 4], []);
      expect(calc.overlaps(empty, t(b2)).shape).to.deep.equal([0, 4]);
      expect(calc.overlaps(t(b2), empty).shape).to.deep.equal([4, 0]);
      expect(calc.overlaps(empty, empty, 'iou', true).shape).to.deep.equal([0]);
    });
    expect(calc.overlapsHost(new Float32Array(0), b2).length).to.equal(0);
  });
});

describe('BboxOverlaps2D', () => {
  it('traces to ONNX: onnxruntime gives the tfjs values (iou, giou, aligned)', async () => {
    const calc = new BboxOverlaps2D();
    const inputs = [
      { name: 'a', value: hostTensor('float32', [7, 4], randomBoxes(7, 6)) },
      { name: 'b', value: hostTensor('float32', [5, 4], randomBoxes(5, 7)) },
    ];
    await expectParity((a, b) => [calc.overlaps(a, b), calc.overlaps(a, b, 'giou'), calc.overlaps(a, b, 'iof')], inputs, { atol: 1e-6 });
    await expectParity((a) => calc.overlaps(a, a, 'giou', true), inputs.slice(0, 1), { atol: 1e-6 });
  });

  it('builds from its config; fp16 is refused with the config path', () => {
    expect(buildTaskUtil({ type: 'BboxOverlaps2D' })).to.be.instanceOf(BboxOverlaps2D);
    const e = errorOf(() => buildTaskUtil({ type: 'BboxOverlaps2D', scale: 512, dtype: 'fp16' }, 'model.train_cfg.rpn.assigner.iou_calculator'));
    expect(e.message).to.equal('model.train_cfg.rpn.assigner.iou_calculator.dtype: only float32 overlaps are supported; remove dtype (got "fp16")');
  });
});
