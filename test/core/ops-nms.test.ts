import { expect } from 'chai';
import * as F from '../../src/core/ops';
import { describeOnBackends } from './helpers/backends';
import { expectExact, values } from './helpers/expect-tensor';
import { randArr } from './helpers/reference';

type Box = [number, number, number, number];

/** Greedy NMS from the mmcv definition, in double precision: a candidate survives unless IoU > thr with a kept box. */
function nmsRef(boxes: Box[], scores: number[], thr: number): number[] {
  const area = (b: Box) => (b[2] - b[0]) * (b[3] - b[1]);
  const iou = (a: Box, b: Box) => {
    const inter = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0])) * Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
    return inter / (area(a) + area(b) - inter);
  };
  const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  const kept: number[] = [];
  for (const i of order) if (kept.every((k) => !(iou(boxes[k], boxes[i]) > thr))) kept.push(i);
  return kept;
}

describeOnBackends('op layer: NMS (mmcv semantics)', (h) => {
  const run = (boxes: Box[], scores: number[], opts: Parameters<typeof F.nms>[2]) => {
    const y = h.run(() => F.nms(h.f32([boxes.length, 4], boxes.flat()), h.f32([scores.length], scores), opts));
    expect(y.dtype).to.equal('int32');
    return values(h.read(y));
  };

  it('hand-computed: IoU 81/119 suppresses at 0.5, not at 0.7; output in descending score order', () => {
    const boxes: Box[] = [
      [20, 20, 30, 30],
      [0, 0, 10, 10],
      [1, 1, 11, 11],
    ];
    expect(run(boxes, [0.7, 0.9, 0.8], { iouThreshold: 0.5 })).to.deep.equal([1, 0]);
    expect(run(boxes, [0.7, 0.9, 0.8], { iouThreshold: 0.7 })).to.deep.equal([1, 2, 0]);
  });

  it('suppresses only when IoU is strictly greater than the threshold', () => {
    // inter 2, areas 3 and 3: IoU exactly 0.5
    const boxes: Box[] = [
      [0, 0, 3, 1],
      [1, 0, 4, 1],
    ];
    expect(run(boxes, [0.9, 0.8], { iouThreshold: 0.5 })).to.deep.equal([0, 1]);
    expect(run(boxes, [0.9, 0.8], { iouThreshold: 0.49 })).to.deep.equal([0]);
  });

  it('areas have no +1: [0,0,2,2] and [1,1,3,3] overlap 1/7, not 4/14', () => {
    const boxes: Box[] = [
      [0, 0, 2, 2],
      [1, 1, 3, 3],
    ];
    expect(run(boxes, [0.9, 0.8], { iouThreshold: 0.2 })).to.deep.equal([0, 1]);
    expect(run(boxes, [0.9, 0.8], { iouThreshold: 0.14 })).to.deep.equal([0]);
  });

  it('equal scores: the lower index comes first and wins', () => {
    const boxes: Box[] = [
      [50, 50, 60, 60],
      [0, 0, 10, 10],
      [100, 100, 110, 110],
      [0, 0, 10, 10],
    ];
    expect(run(boxes, [0.5, 0.5, 0.5, 0.5], { iouThreshold: 0.5 })).to.deep.equal([0, 1, 2]);
  });

  it('maxOutput and scoreThreshold (scores at the threshold are dropped)', () => {
    const boxes: Box[] = [0, 1, 2, 3, 4].map((i) => [i * 20, 0, i * 20 + 10, 10]);
    const scores = [0.1, 0.5, 0.3, 0.9, 0.3];
    expect(run(boxes, scores, { iouThreshold: 0.5, maxOutput: 2 })).to.deep.equal([3, 1]);
    expect(run(boxes, scores, { iouThreshold: 0.5, scoreThreshold: 0.3 })).to.deep.equal([3, 1]);
    expect(run(boxes, scores, { iouThreshold: 0.5, scoreThreshold: 0.29 })).to.deep.equal([3, 1, 2, 4]);
    expect(run(boxes, scores, { iouThreshold: 0.5, maxOutput: 0 })).to.deep.equal([]);
  });

  it('empty input gives an empty int32 result', () => {
    const y = h.run(() => F.nms(h.f32([0, 4], []), h.f32([0], []), { iouThreshold: 0.5 }));
    expectExact(h.read(y), [0], []);
  });

  it('boxes outside the image are plain boxes (IoU 16/34)', () => {
    const boxes: Box[] = [
      [-10, -10, -5, -5],
      [-9, -9, -4, -4],
      [500, 500, 700, 650],
    ];
    expect(run(boxes, [0.9, 0.8, 0.7], { iouThreshold: 0.4 })).to.deep.equal([0, 2]);
    expect(run(boxes, [0.9, 0.8, 0.7], { iouThreshold: 0.5 })).to.deep.equal([0, 1, 2]);
  });

  it('degenerate boxes (zero area, inverted) neither suppress nor get suppressed', () => {
    const boxes: Box[] = [
      [5, 5, 5, 10],
      [5, 5, 5, 10],
      [10, 10, 0, 0],
      [0, 0, 10, 10],
      [3, 3, 3, 3],
    ];
    expect(run(boxes, [0.9, 0.8, 0.7, 0.6, 0.5], { iouThreshold: 0.1 })).to.deep.equal([0, 1, 2, 3, 4]);
  });

  it('300 random boxes match the reference greedy NMS at several thresholds', () => {
    const r = randArr([300, 4], 181, 0, 1);
    const boxes: Box[] = [];
    for (let i = 0; i < 300; i++) {
      const [cx, cy, w, hh] = [r.data[4 * i] * 200, r.data[4 * i + 1] * 200, 5 + r.data[4 * i + 2] * 60, 5 + r.data[4 * i + 3] * 60];
      boxes.push([cx - w / 2, cy - hh / 2, cx + w / 2, cy + hh / 2].map(Math.fround) as Box);
    }
    const scores = Array.from(randArr([300], 182, 0, 1).data);
    for (const thr of [0.3, 0.5, 0.7]) expect(run(boxes, scores, { iouThreshold: thr })).to.deep.equal(nmsRef(boxes, scores, thr));
  });

  describe('batchedNms (class-aware)', () => {
    it('boxes of different classes never suppress each other; same class does', () => {
      const boxes: Box[] = [
        [0, 0, 10, 10],
        [0, 0, 10, 10],
        [1, 1, 10, 10],
        [50, 50, 60, 60],
      ];
      const y = h.run(() =>
        F.batchedNms(h.f32([4, 4], boxes.flat()), h.f32([4], [0.9, 0.8, 0.7, 0.6]), h.i32([4], [0, 1, 0, 1]), { iouThreshold: 0.5 }),
      );
      expect(values(h.read(y))).to.deep.equal([0, 1, 3]);
    });

    it('matches per-class reference NMS merged by score', () => {
      const r = randArr([200, 4], 183, 0, 1);
      const boxes: Box[] = [];
      for (let i = 0; i < 200; i++) {
        const [x, y, w, hh] = [r.data[4 * i] * 100, r.data[4 * i + 1] * 100, 5 + r.data[4 * i + 2] * 40, 5 + r.data[4 * i + 3] * 40];
        boxes.push([x, y, x + w, y + hh].map(Math.fround) as Box);
      }
      const scores = Array.from(randArr([200], 184, 0, 1).data);
      const cls = Array.from({ length: 200 }, (_, i) => (i * 7) % 5);
      const expected: number[] = [];
      for (let c = 0; c < 5; c++) {
        const members = cls.map((k, i) => (k === c ? i : -1)).filter((i) => i >= 0);
        nmsRef(members.map((i) => boxes[i]), members.map((i) => scores[i]), 0.5).forEach((j) => expected.push(members[j]));
      }
      expected.sort((a, b) => scores[b] - scores[a] || a - b);
      const y = h.run(() =>
        F.batchedNms(h.f32([200, 4], boxes.flat()), h.f32([200], scores), h.i32([200], cls), { iouThreshold: 0.5 }),
      );
      expect(values(h.read(y))).to.deep.equal(expected);
    });

    it('`valid` keeps every box in place: the kept boxes (as full-list indices) and the offsets of the selection', () => {
      // the last box is not valid and holds the largest coordinate: the offsets must ignore it
      const r = randArr([60, 4], 187, 0, 1);
      const boxes: Box[] = [];
      for (let i = 0; i < 60; i++) {
        const [x, y, w, hh] = [r.data[4 * i] * 50, r.data[4 * i + 1] * 50, 5 + r.data[4 * i + 2] * 30, 5 + r.data[4 * i + 3] * 30];
        boxes.push([x, y, x + w, y + hh].map(Math.fround) as Box);
      }
      boxes.push([0, 0, 5000, 5000]);
      const scores = [...Array.from(randArr([60], 188, 0, 1).data), 0.99];
      const cls = scores.map((_, i) => i % 3);
      const valid = scores.map((s, i) => i % 4 !== 1 && i !== 60);
      const sel = valid.flatMap((v, i) => (v ? [i] : []));
      for (const o of [{ iouThreshold: 0.5 }, { iouThreshold: 0.4, scoreThreshold: 0.3, maxOutput: 7 }]) {
        const selected = h.run(() =>
          F.batchedNms(h.f32([sel.length, 4], sel.flatMap((i) => boxes[i])), h.f32([sel.length], sel.map((i) => scores[i])), h.i32([sel.length], sel.map((i) => cls[i])), o),
        );
        const inPlace = h.run(() =>
          F.batchedNms(h.f32([61, 4], boxes.flat()), h.f32([61], scores), h.i32([61], cls), { ...o, valid: F.cast(h.i32([61], valid.map(Number)), 'bool') }),
        );
        const want = values(h.read(selected)).map((j) => sel[j]);
        expect(want.length).to.be.above(3);
        expect(values(h.read(inPlace))).to.deep.equal(want);
      }
    });

    it('empty input', () => {
      const y = h.run(() => F.batchedNms(h.f32([0, 4], []), h.f32([0], []), h.i32([0], []), { iouThreshold: 0.5 }));
      expectExact(h.read(y), [0], []);
    });
  });
});
