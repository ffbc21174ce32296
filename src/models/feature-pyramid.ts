import { z } from 'zod';
import type { StateDict, LoadReport } from '../core/module';
import type { Tensor } from '../core/tensor';
import { HRNet } from './backbones/hrnet/hrnet';
import { officialBackboneKeyMap, type KeyRule } from './backbones/hrnet/official-key-map';
import type { NamedTensors } from './base-model';
import { componentCfg, FeatureModel } from './feature-model';
import { MODELS } from '../registry/registries';
import type { BuildContext } from '../registry/build-context';
import { initCfg } from '../nn/option-schemas';

export const featurePyramidOptions = z
  .object({
    backbone: componentCfg,
    neck: componentCfg.nullable().optional(),
    data_preprocessor: componentCfg.nullable().optional(),
    init_cfg: initCfg.nullable(),
  })
  .strict();
export type FeaturePyramidOptions = z.output<typeof featurePyramidOptions>;

/** A load report that also lists checkpoint entries outside this model's parts (heads of a detector). */
export interface FeaturePyramidLoadReport extends LoadReport {
  ignored: string[];
}

/**
 * The feature-pyramid provider on its own: a backbone, optionally followed by a neck, no
 * head, so `tensor` mode only. HRNetV2p, ResNet-FPN or a user's backbone can so be built,
 * analysed, loaded from a detector checkpoint (`backbone.*`, `neck.*`; head keys are ignored),
 * run and exported as a component for other frameworks. Outputs: `backbone.i` for every
 * backbone output, then `neck.i` for every neck level.
 */
export class FeaturePyramid extends FeatureModel {
  override readonly modes = ['tensor'] as const;

  constructor(o: FeaturePyramidOptions, ctx: BuildContext) {
    super(o, ctx);
    this.initCfg = o.init_cfg ?? null;
  }

  forwardTensor(inputs: ReadonlyMap<string, Tensor>): NamedTensors {
    const out: NamedTensors = new Map();
    this.extractFeat(this.image(inputs), out);
    return out;
  }

  outputNames(): string[] {
    return this.featureNames();
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

MODELS.register(featurePyramidOptions, (o: FeaturePyramidOptions, ctx: BuildContext) => new FeaturePyramid(o, ctx), {
  name: 'FeaturePyramid',
  summary: 'Feature pyramid on its own: backbone → [neck], no head (outputs backbone.i, neck.i; tensor mode only)',
});

// typed TS configs: `{ type: 'FeaturePyramid', ... }` completes and checks these options
declare module '../config/config-types' {
  interface ModelOptionsMap {
    FeaturePyramid: import('zod').input<typeof featurePyramidOptions>;
  }
}
