import { Model, type NamedOutputs } from './model';
import { Backbone, type ShapeSpec } from './backbones/backbone';
import { ConfigError } from '../core/errors';
import { Neck } from './necks/neck';
import { FeatureHead } from './heads/feature-head';
import { Conv2d } from '../nn/conv2d';
import type { Tensor } from '../core/tensor';
import { BACKBONES, HEADS, NECKS } from '../registry/registries';
import type { BuildContext } from '../registry/build-context';

/**
 * The common shape of the pose, segmentation and classification models: backbone → optional
 * neck → one head producing one tensor. Subclasses only name their children (mmpose's `head`,
 * mmseg's `decode_head`) and describe their official checkpoint layouts.
 */
export abstract class SingleHeadModel extends Model {
  readonly backbone: Backbone;
  readonly neck: Neck | null;
  readonly head: FeatureHead;

  protected constructor(
    cfg: { backbone: unknown; neck?: unknown; head: unknown },
    headKey: string,
    ctx: BuildContext,
  ) {
    super();
    this.backbone = this.addModule('backbone', buildAs(ctx, BACKBONES, cfg.backbone, 'backbone', Backbone, 'a Backbone'));
    this.neck = cfg.neck ? this.addModule('neck', buildAs(ctx, NECKS, cfg.neck, 'neck', Neck, 'a Neck')) : null;
    const neck = this.neck as (Neck & { setInputShape?(s: ShapeSpec[]): void }) | null;
    if (neck?.setInputShape) {
      try {
        neck.setInputShape(this.backbone.outputShape());
      } catch (e) {
        throw e instanceof ConfigError ? ctx.error(`neck.${e.configPath}`, e.detail) : e;
      }
    }
    this.head = this.addModule(headKey, buildAs(ctx, HEADS, cfg.head, headKey, FeatureHead, 'a single-output head (FeatureHead)'));
  }

  get inChannels(): number {
    const declared = (this.backbone as { inChannels?: unknown }).inChannels;
    if (typeof declared === 'number') return declared;
    for (const [, m] of this.backbone.namedModules()) if (m instanceof Conv2d) return m.inChannels;
    return 3;
  }

  /** The feature maps the head reads (the neck's when there is one). */
  features(x: Tensor, named?: NamedOutputs): Tensor[] {
    let feats = this.backbone.forward(x);
    feats.forEach((t, i) => named?.set(`backbone.${i}`, t));
    if (this.neck) {
      feats = this.neck.forward(feats);
      feats.forEach((t, i) => named?.set(`neck.${i}`, t));
    }
    return feats;
  }

  forward(x: Tensor): Tensor {
    return this.head.forward(this.features(x));
  }

  forwardNamed(x: Tensor): NamedOutputs {
    const named: NamedOutputs = new Map();
    const feats = this.features(x, named);
    named.set('output', this.head.forward(feats));
    return named;
  }

  override outputNames(): string[] {
    const names = this.backbone.outputShape().map((_, i) => `backbone.${i}`);
    if (this.neck) names.push(...this.neck.outputShape().map((_, i) => `neck.${i}`));
    return [...names, 'output'];
  }
}

/** Build a child and check it fulfils the contract its slot needs. */
function buildAs<T>(
  ctx: BuildContext,
  registry: Parameters<BuildContext['build']>[0],
  cfg: unknown,
  key: string,
  cls: abstract new (...args: never[]) => T,
  what: string,
): T {
  const built = ctx.build(registry, cfg, key);
  if (!(built instanceof cls)) {
    const type = (cfg as { type?: unknown }).type;
    throw ctx.error(`${key}.type`, `'${String(type)}' is not ${what}`);
  }
  return built;
}
