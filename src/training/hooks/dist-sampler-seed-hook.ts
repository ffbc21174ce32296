import { z } from 'zod';
import { HOOKS } from '../../registry/registries';
import { Hook, PRIORITIES } from './hook';

/**
 * mmengine's DistSamplerSeedHook. Its job — giving the sampler the epoch so that every epoch
 * is shuffled differently — is done by hrdet's train loops themselves (a resumed run must
 * reshuffle the same way whatever hooks it has), so it is accepted for mmdet's
 * default_hooks and does nothing more.
 */
export class DistSamplerSeedHook extends Hook {
  readonly name = 'DistSamplerSeedHook';
  override priority: number = PRIORITIES.NORMAL;
}

HOOKS.register(z.object({}).strict(), () => new DistSamplerSeedHook(), {
  name: 'DistSamplerSeedHook',
  summary: "mmengine hook: per-epoch sampler seed (hrdet's loops set the epoch themselves)",
});
