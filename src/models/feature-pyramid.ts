import { z } from 'zod';
import { Model, type NamedOutputs } from './model';
import type { ShapeSpec } from './backbones/backbone';
import { ConfigError } from '../core/errors';
import type { LoadReport, Module, StateDict } from '../core/module';
import type { Tensor } from '../core/tensor';
import { Conv2d } from '../nn/conv2d';
import { HRNet } from './backbones/hrnet/hrnet';
import { officialBackboneKeyMap, type KeyRule } from './backbones/hrnet/official-key-map';
import { BACKBONES, MODELS, NECKS } from '../registry/registries';
import type { BuildContext, ConfigDict } from '../registry/build-context';
import { initCfg } from '../nn/option-schemas';

const componentCfg = z.object({ type: z.string() }).passthrough();

export const featurePyramidOptions = z
  .object({
    backbone: componentCfg,
    neck: componentCfg.nullable().optional(),
    /** Kept for the data pipeline; forwardNamed takes an already normalised input. */
    data_preprocessor: z.record(z.unknown()).nullable().optional(),
    init_cfg: initCfg.nullable(),
  })
  .strict();
export type FeaturePyramidOptions = z.output<typeof featurePyramidOptions>;

/** What the model needs of a backbone (hrdet's Backbone, or any plugin module shaped like one). */
interface BackboneLike extends Module {
  outputShape(): ShapeSpec[];
  forward(x: Tensor): Tensor[];
  readonly inChannels?: number;
  officialKeyMap?(): { from: string; to: string }[];
}

interface NeckLike extends Module {
  outputShape(): ShapeSpec[];
  forward(xs: Tensor[]): Tensor[];
  /** Necks that derive their output strides from their inputs' take them here. */
  setInputShape?(shapes: readonly ShapeSpec[]): void;
}

/** A load report that also lists checkpoint entries outside this model's parts (heads of a detector). */
export interface FeaturePyramidLoadReport extends LoadReport {
  ignored: string[];
}

/**
 * The feature-pyramid provider on its own: a backbone, optionally followed by a neck, no
 * head. HRNetV2p, ResNet-FPN or a user's backbone can so be built, analysed, loaded from a
 * detector checkpoint (`backbone.*`, `neck.*`; head keys are ignored), run and exported as a
 * component for other frameworks. Outputs: `backbone.i` for every backbone output, then
 * `neck.i` for every neck level.
 */
export class FeaturePyramid extends Model {
  readonly backbone: BackboneLike;
  readonly neck: NeckLike | null;
  readonly dataPreprocessor: Record<string, unknown> | null;
  private readonly inputChannels: number;

  constructor(o: FeaturePyramidOptions, ctx: BuildContext) {
    super();
    this.backbone = this.addModule('backbone', asBackbone(ctx.build(BACKBONES, o.backbone, 'backbone'), ctx));
    const shapes = this.backbone.outputShape();
    this.neck = o.neck ? this.addModule('neck', buildNeck(o.neck, shapes, ctx)) : null;
    this.dataPreprocessor = o.data_preprocessor ?? null;
    this.initCfg = o.init_cfg ?? null;
    this.inputChannels = this.backbone.inChannels ?? firstConvInput(this.backbone) ?? 3;
  }

  get inChannels(): number {
    return this.inputChannels;
  }

  /** The pyramid a head would consume: the neck's levels, or the backbone's outputs without a neck. */
  outputShape(): ShapeSpec[] {
    return (this.neck ?? this.backbone).outputShape();
  }

  forward(x: Tensor): Tensor[] {
    const feats = this.backbone.forward(x);
    return this.neck ? this.neck.forward(feats) : feats;
  }

  forwardNamed(x: Tensor): NamedOutputs {
    const out: NamedOutputs = new Map();
    const feats = this.backbone.forward(x);
    feats.forEach((f, i) => out.set(`backbone.${i}`, f));
    if (this.neck) this.neck.forward(feats).forEach((f, i) => out.set(`neck.${i}`, f));
    return out;
  }

  override outputNames(): string[] {
    const names = this.backbone.outputShape().map((_, i) => `backbone.${i}`);
    if (this.neck) names.push(...this.neck.outputShape().map((_, i) => `neck.${i}`));
    return names;
  }

  /**
   * Classification checkpoints of the backbone loaded as they were published: official HRNet
   * (the body at the top level) or a backbone's own rules (torchvision's ResNet keys) under
   * `backbone.`; their classifier keys match no rule and are ignored.
   */
  override officialKeyMap(): KeyRule[] {
    if (this.backbone instanceof HRNet) return officialBackboneKeyMap();
    const rules = this.backbone.officialKeyMap?.() ?? [];
    return rules.map((r) => ({ from: r.from, to: `backbone.${r.to}` }));
  }

  /**
   * Loads the entries under this model's parts (`backbone.`, `neck.`); the rest of a detector
   * checkpoint (rpn_head.*, roi_head.*, ...) is reported as unexpected and listed in `ignored`,
   * and never fails a strict load.
   */
  override loadStateDict(dict: StateDict, opts: { strict?: boolean } = {}): FeaturePyramidLoadReport {
    const parts = [...this.children()].map(([name]) => `${name}.`);
    const own: StateDict = new Map();
    const ignored: string[] = [];
    for (const [k, v] of dict) {
      if (parts.some((p) => k.startsWith(p))) own.set(k, v);
      else ignored.push(k);
    }
    const report = super.loadStateDict(own, opts);
    return { ...report, unexpected: [...report.unexpected, ...ignored], ignored };
  }
}

/** A backbone that does not declare its input channels takes what its first convolution takes. */
function firstConvInput(m: Module): number | undefined {
  for (const [, c] of m.namedModules()) if (c instanceof Conv2d) return c.inChannels;
  return undefined;
}

function asBackbone(m: Module, ctx: BuildContext): BackboneLike {
  const b = m as unknown as Partial<BackboneLike>;
  if (typeof b.outputShape !== 'function' || typeof b.forward !== 'function') {
    throw ctx.error('backbone.type', `${m.typeName} is not a backbone: it needs outputShape() and forward(x) returning a list of feature maps`);
  }
  return m as BackboneLike;
}

/**
 * Build the neck on top of the backbone: `in_channels`, when the neck takes that option and
 * the config leaves it out, comes from the backbone's outputs; when given it must match them.
 */
function buildNeck(cfg: ConfigDict, shapes: ShapeSpec[], ctx: BuildContext): NeckLike {
  const channels = shapes.map((s) => s.channels);
  const given = cfg.in_channels;
  const neckCfg = { ...cfg };
  if (given === undefined) {
    if (acceptsInChannels(cfg.type, ctx)) neckCfg.in_channels = channels;
  } else if (Array.isArray(given) && !sameList(given, channels)) {
    throw ctx.error(
      'neck.in_channels',
      `[${given.join(', ')}] does not match the backbone's outputs [${channels.join(', ')}] (leave in_channels out to take them from the backbone)`,
    );
  }
  const neck = ctx.build(NECKS, neckCfg, 'neck') as Partial<NeckLike> & Module;
  if (typeof neck.outputShape !== 'function' || typeof neck.forward !== 'function') {
    throw ctx.error('neck.type', `${neck.typeName} is not a neck: it needs outputShape() and forward(features)`);
  }
  if (typeof neck.setInputShape === 'function') {
    try {
      neck.setInputShape(shapes);
    } catch (e) {
      if (e instanceof ConfigError) throw ctx.error(`neck.${e.configPath}`, e.detail);
      throw e;
    }
  }
  return neck as NeckLike;
}

/** Whether the registered neck's option schema has an `in_channels` option. */
function acceptsInChannels(type: unknown, ctx: BuildContext): boolean {
  if (typeof type !== 'string') return false;
  let schema: z.ZodTypeAny = NECKS.resolve(type, `${ctx.path}.neck`).schema;
  while (schema instanceof z.ZodEffects) schema = schema.innerType();
  return schema instanceof z.ZodObject && 'in_channels' in schema.shape;
}

function sameList(a: unknown[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

MODELS.register(featurePyramidOptions, (o: FeaturePyramidOptions, ctx: BuildContext) => new FeaturePyramid(o, ctx), {
  name: 'FeaturePyramid',
  summary: 'Feature pyramid on its own: backbone → [neck], no head (outputs backbone.i, neck.i)',
});

// typed TS configs: `{ type: 'FeaturePyramid', ... }` completes and checks these options
declare module '../config/config-types' {
  interface ModelOptionsMap {
    FeaturePyramid: import('zod').input<typeof featurePyramidOptions>;
  }
}
