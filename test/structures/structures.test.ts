import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import * as F from '../../src/core/ops';
import { Module } from '../../src/core/module';
import type { Tensor } from '../../src/core/tensor';
import { Boxes } from '../../src/structures/boxes';
import { TensorBoxes } from '../../src/structures/tensor-boxes';
import { InstanceData } from '../../src/structures/instance-data';
import { BitmapMasks } from '../../src/structures/masks';
import { DetDataSample } from '../../src/structures/det-data-sample';
import { collectTensors } from '../../src/core/tensor-container';
import { describeOnBackends } from '../core/helpers/backends';

const rows = [
  [10, 20, 50, 40],
  [-5, 0, 30, 90],
];

describe('structures: Boxes (host)', () => {
  const b = Boxes.fromRows(rows);

  it('areas, widths and heights', () => {
    expect([...b.areas()]).to.deep.equal([40 * 20, 35 * 90]);
    expect([...b.widths()]).to.deep.equal([40, 35]);
    expect([...b.heights()]).to.deep.equal([20, 90]);
  });

  it('clips to (h, w), scales by (sx, sy), translates', () => {
    expect(b.clip([60, 40]).rows()).to.deep.equal([
      [10, 20, 40, 40],
      [0, 0, 30, 60],
    ]);
    expect(b.scale(2, 0.5).rows()).to.deep.equal([
      [20, 10, 100, 20],
      [-10, 0, 60, 45],
    ]);
    expect(b.translate(1, -2).rows()[0]).to.deep.equal([11, 18, 51, 38]);
  });

  it('flips horizontally, vertically and diagonally inside the image (mmdet flip_)', () => {
    expect(b.flip([100, 200], 'horizontal').rows()[0]).to.deep.equal([150, 20, 190, 40]);
    expect(b.flip([100, 200], 'vertical').rows()[0]).to.deep.equal([10, 60, 50, 80]);
    expect(b.flip([100, 200], 'diagonal').rows()[0]).to.deep.equal([150, 60, 190, 80]);
    expect(b.flip([100, 200]).flip([100, 200]).rows()).to.deep.equal(rows);
  });

  it('converts from and to COCO xywh, indexes and concatenates', () => {
    expect(Boxes.fromXywh([[1, 2, 3, 4]]).rows()).to.deep.equal([[1, 2, 4, 6]]);
    expect(b.toXywh()[1]).to.deep.equal([-5, 0, 35, 90]);
    expect(b.index([1, 1, 0]).rows()).to.deep.equal([rows[1], rows[1], rows[0]]);
    expect(Boxes.cat([b, b]).length).to.equal(4);
    expect(() => new Boxes([1, 2, 3])).to.throw(/4 numbers each/);
  });
});

describe('structures: InstanceData', () => {
  it('keeps fields of one length and indexes host fields together', () => {
    const masks = new BitmapMasks(Uint8Array.of(1, 0, 0, 0, 0, 1, 1, 1), 2, 2, 2);
    const d = new InstanceData({ bboxes: Boxes.fromRows(rows), labels: Int32Array.of(3, 7), scores: Float32Array.of(0.5, 0.9), masks });
    expect(d.length).to.equal(2);
    const one = d.index([1]);
    expect((one.bboxes as Boxes).rows()).to.deep.equal([rows[1]]);
    expect([...(one.labels as Int32Array)]).to.deep.equal([7]);
    expect([...(one.masks as BitmapMasks).areas()]).to.deep.equal([3]);
    expect(() => new InstanceData({ bboxes: Boxes.fromRows(rows), labels: Int32Array.of(1) })).to.throw(/has 1 entries, others have 2|has 2 entries, others have 1/);
  });
});

/** A child whose forward returns engine tensors wrapped in structures, as a head returns its results. */
class ResultHead extends Module {
  forward(x: Tensor): DetDataSample {
    const scaled = F.mul(x, 2); // survives inside the result
    F.add(x, 1); // an intermediate: freed when the child's scope ends
    const s = new DetDataSample({ img_shape: [4, 4] });
    s.pred_instances = new InstanceData({ bboxes: new TensorBoxes(scaled), scores: F.sum(scaled, 1) });
    return s;
  }
}

class Detector extends Module {
  readonly head = this.addModule('head', new ResultHead());
  forward(x: Tensor): DetDataSample {
    return this.head.forward(x);
  }
}

describeOnBackends('structures: tensors inside structures', (h) => {
  it('TensorBoxes matches the host Boxes for every transform', () => {
    const t = new TensorBoxes(h.f32([2, 4], rows.flat()));
    const host = Boxes.fromRows(rows);
    h.run(() => {
      expect([...h.read(t.areas()).data]).to.deep.equal([...host.areas()]);
      expect(t.clip([60, 40]).toHost().rows()).to.deep.equal(host.clip([60, 40]).rows());
      expect(t.scale(2, 0.5).toHost().rows()).to.deep.equal(host.scale(2, 0.5).rows());
      expect(t.translate(1, -2).toHost().rows()).to.deep.equal(host.translate(1, -2).rows());
      for (const d of ['horizontal', 'vertical', 'diagonal'] as const) expect(t.flip([100, 200], d).toHost().rows()).to.deep.equal(host.flip([100, 200], d).rows());
    });
  });

  it("a child's scope keeps the tensors its returned data sample holds and frees the rest", () => {
    const det = new Detector();
    const x = h.f32([2, 4], rows.flat());
    const before = tf.memory().numTensors;
    const s = h.run(() => det.forward(x));
    // kept: the boxes and the scores (the intermediate x + 1 and the scalar 2 are gone)
    expect(tf.memory().numTensors - before).to.equal(2);
    const inst = s.pred_instances!;
    h.run(() => {
      expect((inst.bboxes as TensorBoxes).toHost().rows()[0]).to.deep.equal([20, 40, 100, 80]);
      expect([...h.read(inst.scores as Tensor).data]).to.deep.equal([240, 230]);
    });
    expect(collectTensors(s, (v): v is Tensor => typeof v === 'object' && v !== null && 'shape' in v && 'dtype' in v && !ArrayBuffer.isView(v))).to.have.length(2);
  });
});
