/**
 * The built-in layer initialisers of mmengine's init_cfg, registered in WEIGHT_INITIALIZERS
 * so a plugin can add its own (`{type: 'my_plugin.Orthogonal', layer: 'Conv2d'}`). Each entry
 * validates its own options (the shared `layer`, `override`, `bias`, `bias_prob` are handled by
 * init-cfg) and returns how it fills one weight; init-cfg sets the biases.
 */
import { z } from 'zod';
import type { Parameter } from '../../core/parameter';
import { WEIGHT_INITIALIZERS } from '../../registry/registries';
import { NONLINEARITIES, constantInit, kaimingNormal, kaimingUniform, normal, truncNormal, uniform, xavier, type Nonlinearity } from './initializers';

/** Fills one selected weight (`key` names it in errors). */
export type WeightFill = (w: Parameter, key: string) => void;

const distribution = z.enum(['normal', 'uniform']).default('normal');

/** Xavier and Kaiming need fan-in and fan-out, which a 1-D weight does not have. */
function needFans(type: string, w: Parameter, key: string): void {
  if (w.shape.length < 2) {
    throw new Error(`${type} cannot initialise '${key}' of shape [${w.shape.join(', ')}]: fan-in and fan-out need at least 2 dimensions (select layers with 'layer')`);
  }
}

function register<S extends z.ZodTypeAny>(name: string, schema: S, fill: (o: z.output<S>) => WeightFill, summary: string): void {
  WEIGHT_INITIALIZERS.register(schema, (o: z.output<S>) => fill(o), { name, summary });
}

register('Constant', z.object({ val: z.number() }).strict(), (o) => (w) => constantInit(w, o.val), 'every weight = val');
register(
  'Xavier',
  z.object({ gain: z.number().default(1), distribution }).strict(),
  (o) => (w, key) => {
    needFans('Xavier', w, key);
    xavier(w, o.gain, o.distribution);
  },
  'Glorot: std from fan-in + fan-out',
);
register(
  'Normal',
  z.object({ mean: z.number().default(0), std: z.number().min(0, 'must be >= 0').default(1) }).strict(),
  (o) => (w) => normal(w, o.mean, o.std),
  'N(mean, std)',
);
register(
  'TruncNormal',
  z
    .object({ mean: z.number().default(0), std: z.number().gt(0, 'must be > 0').default(1), a: z.number().default(-2), b: z.number().default(2) })
    .strict()
    .refine((o) => o.a < o.b, (o) => ({ path: ['b'], message: `the upper cutoff must be above a = ${o.a}, got ${o.b}` })),
  (o) => (w) => truncNormal(w, o.mean, o.std, o.a, o.b),
  'N(mean, std) truncated to [a, b]',
);
register(
  'Uniform',
  z
    .object({ a: z.number().default(0), b: z.number().default(1) })
    .strict()
    .refine((o) => o.a <= o.b, (o) => ({ path: ['b'], message: `the upper bound must not be below a = ${o.a}, got ${o.b}` })),
  (o) => (w) => uniform(w, o.a, o.b),
  'U(a, b)',
);
register(
  'Kaiming',
  z
    .object({
      a: z.number().default(0),
      mode: z.enum(['fan_in', 'fan_out']).default('fan_out'),
      nonlinearity: z.enum(NONLINEARITIES as [Nonlinearity, ...Nonlinearity[]]).default('relu'),
      distribution,
    })
    .strict(),
  (o) => {
    const draw = o.distribution === 'uniform' ? kaimingUniform : kaimingNormal;
    return (w, key) => {
      needFans('Kaiming', w, key);
      draw(w, { a: o.a, mode: o.mode, nonlinearity: o.nonlinearity });
    };
  },
  'He: std from the fan and the nonlinearity',
);
// Caffe2's XavierFill is PyTorch's kaiming_uniform with a = 1 on fan_in
register(
  'Caffe2Xavier',
  z.object({}).strict(),
  () => (w, key) => {
    needFans('Caffe2Xavier', w, key);
    kaimingUniform(w, { a: 1, mode: 'fan_in', nonlinearity: 'leaky_relu' });
  },
  "Caffe2's XavierFill (kaiming_uniform, a = 1, fan_in)",
);
