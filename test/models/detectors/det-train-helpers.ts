import { expect } from 'chai';
import { tfjsEngine } from '../../../src/apis/forward';
import type { HostTensor } from '../../../src/core/host-tensor';
import type { BaseModel } from '../../../src/models/base-model';
import { Boxes } from '../../../src/structures/boxes';
import { DetDataSample } from '../../../src/structures/det-data-sample';
import { InstanceData } from '../../../src/structures/instance-data';
import { BitmapMasks } from '../../../src/structures/masks';
import { isLossList } from '../../../src/structures/named-tensors';
import { parseLosses } from '../../../src/training/parse-losses';

/** Running the det_train fixtures (../shared/fixtures/det_train) and comparing as their README suggests. */
export type Cfg = Record<string, any>;
const num = (t: HostTensor) => Array.from(t.data as ArrayLike<number | bigint>, Number);

export interface StepResult {
  losses: Map<string, number>;
  grads: Map<string, Float32Array>;
}

/** The fixture's samples: its img_metas and GT from io.safetensors (bitmap masks where it has `gt_masks.i`). */
export function fixtureSamples(cfg: Cfg, io: Map<string, HostTensor>): DetDataSample[] {
  return cfg.img_metas.map((m: Record<string, unknown>, i: number) => {
    const s = new DetDataSample(m);
    const masks = io.get(`gt_masks.${i}`);
    s.gt_instances = new InstanceData({
      bboxes: new Boxes(io.get(`gt_bboxes.${i}`)!.data as Float32Array),
      labels: Int32Array.from(num(io.get(`gt_labels.${i}`)!)),
      ...(masks ? { masks: new BitmapMasks(Uint8Array.from(masks.data as Uint8Array), masks.shape[0], masks.shape[1], masks.shape[2]) } : {}),
    });
    return s;
  });
}

/** The largest relative difference of the losses (acc: absolute) and of the gradients (max diff / max |ref|) against the fixture. */
export function worstDiffs(step: StepResult, io: Map<string, HostTensor>, lossNames: string[], gradNames: string[]): { loss: number; acc: number; grad: number } {
  const w = { loss: 0, acc: 0, grad: 0 };
  for (const n of lossNames) {
    const ref = (io.get(n)!.data as Float32Array)[0];
    const d = Math.abs(step.losses.get(n)! - ref);
    if (n.endsWith('acc')) w.acc = Math.max(w.acc, d);
    else w.loss = Math.max(w.loss, d / Math.max(Math.abs(ref), 1e-12));
  }
  for (const n of gradNames) {
    const ref = io.get(`grad.${n}`)!.data as Float32Array;
    const g = step.grads.get(n)!;
    let [worst, scale] = [0, 0];
    for (let i = 0; i < ref.length; i++) [worst, scale] = [Math.max(worst, Math.abs(g[i] - ref[i])), Math.max(scale, Math.abs(ref[i]))];
    w.grad = Math.max(w.grad, worst / scale);
  }
  return w;
}

/** model.train(); losses (lists also per level as `.l`) and the gradients of the total w.r.t. `gradNames`. */
export function trainStep(model: BaseModel, input: HostTensor, samples: DetDataSample[], gradNames: string[]): StepResult {
  const e = tfjsEngine();
  const named = new Map(model.namedParameters());
  const params = new Map(gradNames.map((n) => [n, named.get(n)!]));
  const losses = new Map<string, number>();
  model.train();
  try {
    return e.tidy(() => {
      const { value, grads } = e.valueAndGrads(() => {
        const dict = model.forward(e.constant(input), samples, 'loss');
        for (const [k, v] of dict) if (isLossList(v)) v.forEach((t, l) => losses.set(`${k}.${l}`, e.readSync(t).data[0] as number));
        const { total, terms } = parseLosses(dict);
        for (const [k, v] of terms) losses.set(k, e.readSync(v).data[0] as number);
        return total;
      }, params);
      losses.set('total_loss', e.readSync(value).data[0] as number);
      return { losses, grads: new Map([...grads].map(([k, g]) => [k, Float32Array.from(e.readSync(g).data as Float32Array)])) };
    });
  } finally {
    model.eval();
    e.release(model);
  }
}

/** README criteria; `loss_mask` within 1e-3 relative (mask-target binarisation near 0.5). */
export function expectLossesNear(got: Map<string, number>, io: Map<string, HostTensor>, names: string[]): void {
  for (const name of names) {
    const ref = (io.get(name)!.data as Float32Array)[0];
    const v = got.get(name);
    expect(v, `${name} computed`).to.be.a('number');
    const tol = name.endsWith('acc') ? 1e-3 : name.endsWith('loss_mask') ? 1e-3 * Math.abs(ref) : 1e-4 * Math.abs(ref) + 1e-6;
    expect(Math.abs(v! - ref), `${name}: ${v} vs ${ref}`).to.be.at.most(tol);
  }
}

export function expectGradsNear(got: Map<string, Float32Array>, io: Map<string, HostTensor>, names: string[]): void {
  for (const name of names) {
    const ref = io.get(`grad.${name}`)!.data as Float32Array;
    const g = got.get(name)!;
    expect(g.length, `${name} size`).to.equal(ref.length);
    let [worst, scale] = [0, 0];
    for (let i = 0; i < ref.length; i++) {
      worst = Math.max(worst, Math.abs(g[i] - ref[i]));
      scale = Math.max(scale, Math.abs(ref[i]));
    }
    expect(worst / scale, `grad.${name}: max diff / max |ref|`).to.be.at.most(1e-3);
  }
}

