import { z } from 'zod';
import { currentEngine } from '../../core/engine-context';
import { OPTIMIZERS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { optimWrapperOptions } from './optim-wrapper';

export const ampOptimWrapperOptions = optimWrapperOptions
  .extend({
    loss_scale: z.union([z.literal('dynamic'), z.number().positive(), z.record(z.unknown())]).default('dynamic'),
    dtype: z.enum(['float16', 'bfloat16']).nullable().default(null),
    use_fsdp: z.boolean().default(false),
  })
  .strict();

/** The engine in use, as a user knows it ("tfjs (wasm)"). */
function engineName(): string {
  try {
    const e = currentEngine() as { name: string; backend?: string };
    return e.backend ? `${e.name} (${e.backend})` : e.name;
  } catch {
    return 'tfjs';
  }
}

/**
 * mmengine's AmpOptimWrapper needs half-precision tensors. TensorFlow.js has none on any of
 * its backends (its dtypes are float32, int32, bool, complex64, string), so the config is
 * refused with what to write instead rather than silently training in float32.
 */
OPTIMIZERS.register(
  ampOptimWrapperOptions,
  (_o: unknown, ctx: BuildContext) => {
    throw ctx.error(
      'type',
      `AmpOptimWrapper needs float16 tensors, which the ${engineName()} engine does not have (TensorFlow.js computes in float32 on wasm, cpu and tensorflow); use type: 'OptimWrapper' (the same training in float32)`,
    );
  },
  { name: 'AmpOptimWrapper', summary: 'mixed-precision optimizer wrapper (refused: no float16 in TensorFlow.js)' },
);
