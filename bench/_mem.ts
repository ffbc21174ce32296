import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { buildModel } from '../src/apis/build-model';
import { initBackend } from '../src/engines/tfjs/backend';
import { TfjsEngine } from '../src/engines/tfjs/tfjs-engine';
import { withEngine } from '../src/core/engine-context';
import { hostTensor } from '../src/core/host-tensor';
import { Random } from '../src/core/random';
import { Boxes } from '../src/structures/boxes';
import { DetDataSample } from '../src/structures/det-data-sample';
import { InstanceData } from '../src/structures/instance-data';
import { parseLosses } from '../src/training/parse-losses';
(async () => {
  await initBackend();
  const cfg = process.argv[2]; const B = Number(process.argv[3] ?? 2); const S = Number(process.argv[4] ?? 128);
  const { model } = await buildModel(path.resolve(cfg));
  model.train();
  const e = new TfjsEngine(); const rng = new Random(1);
  const input = e.constant(hostTensor('float32', [B, 3, S, S], rng.normalArray(B * 3 * S * S)));
  const samples = Array.from({ length: B }, () => { const s = new DetDataSample({ img_shape: [S, S], ori_shape: [S, S], pad_shape: [S, S], batch_input_shape: [S, S], scale_factor: [1, 1] });
    const rows = Array.from({ length: 8 }, () => { const [x, y] = [rng.next() * S * 0.7, rng.next() * S * 0.7]; return [x, y, x + 16 + rng.next() * S * 0.3, y + 16 + rng.next() * S * 0.3]; });
    s.gt_instances = new InstanceData({ bboxes: Boxes.fromRows(rows), labels: Int32Array.from(rows, () => Math.floor(rng.next() * 6)) }); return s; });
  const params = new Map([...model.namedParameters()].filter(([, p]) => p.requiresGrad));
  const run = () => e.tidy(() => { const { value } = e.valueAndGrads(() => parseLosses(model.forward(input, samples, "loss")).total, params); e.readSync(value); });
  if (process.env.NOPROF) { for (let i = 0; i < 3; i++) { const t = performance.now(); run(); console.log("step ms", (performance.now() - t).toFixed(0)); } return; }
  const prof = await tf.profile(run);
  console.log('peak MB', (prof.peakBytes / 2 ** 20).toFixed(0), 'kernels', prof.kernels.length);
  const by = new Map<string, [number, number]>();
  for (const k of prof.kernels) { const v = by.get(k.name) ?? [0, 0]; v[0] += k.bytesAdded; v[1]++; by.set(k.name, v); }
  [...by].sort((a, b) => b[1][0] - a[1][0]).slice(0, 15).forEach(([n, [b, c]]) => console.log(n, (b / 2 ** 20).toFixed(0), 'MB', c));
  for (const name of ['Identity', 'Transpose', 'Reshape', 'Multiply']) {
    const m = new Map<string, [number, number]>();
    for (const k of prof.kernels.filter((k) => k.name === name)) { const key = JSON.stringify(k.outputShapes); const v = m.get(key) ?? [0, 0]; v[0] += k.bytesAdded; v[1]++; m.set(key, v); }
    console.log(name, [...m].sort((a, b) => b[1][0] - a[1][0]).slice(0, 5).map(([s, [b, c]]) => `${s} ${(b / 2 ** 20).toFixed(0)}MB x${c}`).join('; '));
  }
})();
