/**
 * Every registered loss against PyTorch: value and gradient with respect to the prediction
 * for the cases in test/fixtures/losses/losses.json (made by make_losses.py from
 * torch.nn.functional), on the cpu and wasm backends.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import '../../../src/components';
import type { HostTensor } from '../../../src/core/host-tensor';
import type { Tensor } from '../../../src/core/tensor';
import type { Module } from '../../../src/core/module';
import type { CrossEntropyArgs } from '../../../src/models/losses/cross-entropy-loss';
import type { Reduction } from '../../../src/models/losses/weight-reduce-loss';
import { build } from '../../../src/registry/container';
import { LOSSES } from '../../../src/registry/registries';
import { describeOnBackends } from '../../core/helpers/backends';
import { expectTensor } from '../../core/helpers/expect-tensor';
import { REPO_ROOT } from '../../fixture-root';
import { decode, valueAndGrad, type Encoded } from './loss-harness';

interface Case {
  name: string;
  cfg: { type: string } & Record<string, unknown>;
  pred: Encoded;
  target: Encoded;
  inputs: Record<string, Encoded>;
  args: { avg_factor?: number; reduction_override?: Reduction; ignore_index?: number };
  expected: Encoded;
  grad: Encoded;
}

const fixture = JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'losses', 'losses.json'), 'utf8')) as { cases: Case[] };

type AnyLoss = Module & { forward: (...a: unknown[]) => Tensor };

describeOnBackends('losses against PyTorch', (h) => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const loss = build(LOSSES, c.cfg, { path: 'loss' }) as AnyLoss;
      const input = (name: string) => (c.inputs[name] ? h.engine.constant(decode(c.inputs[name]) as HostTensor) : null);
      const { value, grad } = valueAndGrad(h.engine, decode(c.pred), (pred) => {
        const target = h.engine.constant(decode(c.target));
        if (c.cfg.type === 'KeypointMSELoss') return loss.forward(pred, target, input('target_weights'));
        const args: CrossEntropyArgs = {
          weight: input('weight'),
          avgFactor: c.args.avg_factor ?? null,
          reductionOverride: c.args.reduction_override ?? null,
          ignoreIndex: c.args.ignore_index ?? null,
          ...(c.inputs.labels ? { labels: input('labels')! } : {}),
        };
        return loss.forward(pred, target, args);
      });
      expectTensor(value, c.expected.shape, c.expected.data, { atol: 1e-6, rtol: 2e-5 });
      expectTensor(grad, c.grad.shape, c.grad.data, { atol: 1e-6, rtol: 1e-4 });
    });
  }
});
