import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { withEngine } from '../../../src/core/engine-context';
import { hostTensor, type HostTensor } from '../../../src/core/host-tensor';
import { initBackend } from '../../../src/engines/tfjs/backend';
import { TfjsEngine } from '../../../src/engines/tfjs/tfjs-engine';
import { readSafetensors } from '../../../src/io/safetensors';
import type { DeltaXYWHBBoxCoder } from '../../../src/models/task-modules/coders/delta-xywh-bbox-coder';
import type { AnchorGenerator } from '../../../src/models/task-modules/prior-generators/anchor-generator';
import { sharedFixtures } from '../../fixture-root';
import { buildTaskUtil } from './helpers';

/**
 * mmdetection's RPN test path (../shared/fixtures/det): every proposal it kept must be one of
 * hrdet's decoded anchors — the anchors of its AnchorGenerator, in mmdetection's flat order,
 * decoded with the raw rpn_reg deltas and clipped to img_shape — with that anchor's score.
 */
const engine = new TfjsEngine();

/** [1, C, H, W] → cell-major values (mmdetection's permute(1, 2, 0).reshape(-1)). */
function cellMajor(t: HostTensor): Float32Array {
  const [, c, h, w] = t.shape;
  const d = t.data as Float32Array;
  const out = new Float32Array(c * h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) out[(y * w + x) * c + ch] = d[(ch * h + y) * w + x];
  return out;
}

describe('det fixtures (mmdetection test path): RPN proposals are decoded anchors', function () {
  before(() => initBackend('cpu'));

  for (const name of ['faster_rcnn_tiny', 'mask_rcnn_tiny', 'cascade_rcnn_tiny']) {
    it(name, async () => {
      const dir = join(sharedFixtures(), 'det', name);
      const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
      const io = (await readSafetensors(join(dir, 'io.safetensors'))).tensors;
      const gen = buildTaskUtil<AnchorGenerator>(cfg.model.rpn_head.anchor_generator);
      const coder = buildTaskUtil<DeltaXYWHBBoxCoder>(cfg.model.rpn_head.bbox_coder);
      const imgShape: [number, number] = cfg.img_metas[0].img_shape;
      const sizes = [0, 1, 2, 3, 4].map((l) => io.get(`rpn_cls.${l}`)!.shape.slice(2) as [number, number]);
      const boxes: number[] = [];
      const scores: number[] = [];
      tf.engine().startScope();
      try {
        withEngine(engine, () => {
          gen.gridPriors(sizes).forEach((anchors, l) => {
            const deltas = cellMajor(io.get(`rpn_reg.${l}`)!);
            const decoded = coder.decode(anchors, engine.constant(hostTensor('float32', [deltas.length / 4, 4], deltas)), imgShape);
            boxes.push(...(engine.readSync(decoded).data as Float32Array));
            scores.push(...Array.from(cellMajor(io.get(`rpn_cls.${l}`)!), (v) => 1 / (1 + Math.exp(-v))));
          });
        });
      } finally {
        tf.engine().endScope();
      }
      const props = io.get('proposals')!;
      const p = props.data as Float32Array;
      const used = new Set<number>();
      let worst = 0;
      for (let k = 0; k < props.shape[0]; k++) {
        // the anchor of equal score (scores are distinct) must have decoded to the proposal
        let best = -1;
        for (let j = 0; j < scores.length; j++) if (Math.abs(scores[j] - p[5 * k + 4]) < 1e-6 && (best < 0 || boxDist(boxes, j, p, k) < boxDist(boxes, best, p, k))) best = j;
        expect(best, `proposal ${k} has no anchor of score ${p[5 * k + 4]}`).to.be.at.least(0);
        worst = Math.max(worst, boxDist(boxes, best, p, k));
        used.add(best);
      }
      expect(used.size, 'distinct anchors').to.equal(props.shape[0]);
      expect(worst, 'largest coordinate difference (px)').to.be.at.most(1e-4);
    });
  }
});

function boxDist(boxes: number[], j: number, p: Float32Array, k: number): number {
  let d = 0;
  for (let c = 0; c < 4; c++) d = Math.max(d, Math.abs(boxes[4 * j + c] - p[5 * k + c]));
  return d;
}
