import { z } from 'zod';
import { ConfigError } from '../core/errors';
import type { Module } from '../core/module';
import type { Tensor } from '../core/tensor';
import { Conv2d } from '../nn/conv2d';
import type { DataSample } from '../structures/data-sample';
import { BaseModel, type NamedTensors } from './base-model';
import type { ShapeSpec } from './backbones/backbone';
import type { DataPreprocessor } from './data-preprocessors/data-preprocessor';
import { BACKBONES, MODELS, NECKS } from '../registry/registries';
import type { BuildContext, ConfigDict } from '../registry/build-context';

/** What a model needs of a backbone: hrdet's Backbone, or any plugin module shaped like one. */
export interface BackboneLike extends Module {
  outputShape(): ShapeSpec[];
  forward(x: Tensor): Tensor[];
  readonly inChannels?: number;
  officialKeyMap?(): { from: string; to: string }[];
}

export interface NeckLike extends Module {
  outputShape(): ShapeSpec[];
  forward(xs: Tensor[]): Tensor[];
  /** Necks that derive their output strides from their inputs' take them here. */
  setInputShape?(shapes: readonly ShapeSpec[]): void;
}

export const componentCfg = z.object({ type: z.string() }).passthrough();

/**
 * The shared body of every hrdet model (mm*'s `extract_feat`): a backbone, optionally followed
 * by a neck whose `in_channels` come from the backbone's declared outputs, and the model's data
 * preprocessor. Detectors, pose estimators, segmentors and classifiers derive from it.
 */
export abstract class FeatureModel<S extends DataSample = DataSample> extends BaseModel<S> {
  readonly backbone: BackboneLike;
  readonly neck: NeckLike | null;
  private readonly inputChannels: number;

  protected constructor(cfg: { backbone: ConfigDict; neck?: ConfigDict | null; data_preprocessor?: ConfigDict | null }, ctx: BuildContext) {
    super();
    this.backbone = this.addModule('backbone', asBackbone(ctx.build(BACKBONES, cfg.backbone, 'backbone'), ctx));
    this.neck = cfg.neck ? this.addModule('neck', buildNeck(cfg.neck, this.backbone.outputShape(), ctx)) : null;
    this.inputChannels = this.backbone.inChannels ?? firstConvInput(this.backbone) ?? 3;
    this.dataPreprocessor = cfg.data_preprocessor ? buildPreprocessor<S>(cfg.data_preprocessor, ctx) : null;
  }

  get inChannels(): number {
    return this.inputChannels;
  }

  /** The feature maps heads consume: the neck's levels, or the backbone's outputs without a neck. */
  outputShape(): ShapeSpec[] {
    return (this.neck ?? this.backbone).outputShape();
  }

  /** mm*'s extract_feat; `named` (tensor mode) also receives `backbone.i` and `neck.i`. */
  extractFeat(x: Tensor, named?: NamedTensors): Tensor[] {
    let feats = this.backbone.forward(x);
    feats.forEach((t, i) => named?.set(`backbone.${i}`, t));
    if (this.neck) {
      feats = this.neck.forward(feats);
      feats.forEach((t, i) => named?.set(`neck.${i}`, t));
    }
    return feats;
  }

  /** Tensor mode of a model with one head: the feature maps by name, then the head's `output`. */
  protected headTensorOutputs(inputs: ReadonlyMap<string, Tensor>, head: { forward(feats: readonly Tensor[]): Tensor }): NamedTensors {
    const named: NamedTensors = new Map();
    named.set('output', head.forward(this.extractFeat(this.image(inputs), named)));
    return named;
  }

  /** Names `extractFeat` gives its maps in tensor mode. */
  protected featureNames(): string[] {
    const names = this.backbone.outputShape().map((_, i) => `backbone.${i}`);
    if (this.neck) names.push(...this.neck.outputShape().map((_, i) => `neck.${i}`));
    return names;
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

function buildPreprocessor<S extends DataSample>(cfg: ConfigDict, ctx: BuildContext): DataPreprocessor<S> {
  const built = ctx.build(MODELS, cfg, 'data_preprocessor') as Partial<DataPreprocessor<S>> & Module;
  if (typeof built.process !== 'function') throw ctx.error('data_preprocessor.type', `${built.typeName} is not a data preprocessor`);
  return built as DataPreprocessor<S>;
}
