import type { Tensor } from '../../core/tensor';
import { BaseModel, type ForwardMode, type NamedTensors } from '../../models/base-model';
import type { BackboneLike, FeatureModel, NeckLike } from '../../models/feature-model';

/**
 * The backbone and neck of a model, on their own, as a whole model: what a FeaturePyramid config
 * of the same parts builds, but sharing the very modules (and so the weights) of the model it
 * comes from. Two-stage detectors do not export to ONNX yet; their backbone + neck does, and the
 * benchmark runs it on onnxruntime as `onnx (backbone+neck)`. Outputs: the feature maps the heads
 * consume, `neck.i` (or `backbone.i` without a neck).
 */
export class BackboneNeck extends BaseModel {
  override readonly modes: readonly ForwardMode[] = ['tensor'];
  readonly backbone: BackboneLike;
  readonly neck: NeckLike | null;

  constructor(private readonly source: FeatureModel) {
    super();
    this.backbone = this.addModule('backbone', source.backbone);
    this.neck = source.neck ? this.addModule('neck', source.neck) : null;
    this.training = source.training;
  }

  override get typeName(): string {
    return `${this.source.typeName} (backbone+neck)`;
  }

  get inChannels(): number {
    return this.source.inChannels;
  }

  forwardTensor(inputs: ReadonlyMap<string, Tensor>): NamedTensors {
    let feats = this.backbone.forward(this.image(inputs));
    if (this.neck) feats = this.neck.forward(feats);
    const prefix = this.neck ? 'neck' : 'backbone';
    return new Map(feats.map((t, i) => [`${prefix}.${i}`, t]));
  }

  outputNames(): string[] {
    const prefix = this.neck ? 'neck' : 'backbone';
    return (this.neck ?? this.backbone).outputShape().map((_, i) => `${prefix}.${i}`);
  }
}
