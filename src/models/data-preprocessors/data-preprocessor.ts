import { z } from 'zod';
import * as F from '../../core/ops';
import { UserError } from '../../core/errors';
import { hostTensor, type HostTensor } from '../../core/host-tensor';
import { Module } from '../../core/module';
import type { Tensor } from '../../core/tensor';
import type { DataSample } from '../../structures/data-sample';
import type { BuildContext } from '../../registry/build-context';

/** One batch as the data loader hands it over: CHW images (uint8 or float32) and their samples. */
export interface DataBatch<S extends DataSample = DataSample> {
  inputs: readonly HostTensor[];
  data_samples: S[];
}

/** A batch ready for the model: the normalised, padded NCHW input on the engine. */
export interface ModelBatch<S extends DataSample = DataSample> {
  inputs: Tensor;
  data_samples: S[];
}

const triple = z.array(z.number()).length(3);

/** mmengine ImgDataPreprocessor's options, shared by the task preprocessors. */
export const imgPreprocessorOptions = {
  mean: z.union([triple, z.array(z.number()).length(1)]).nullable().optional(),
  std: z.union([triple, z.array(z.number()).length(1)]).nullable().optional(),
  bgr_to_rgb: z.boolean().default(false),
  rgb_to_bgr: z.boolean().default(false),
  pad_size_divisor: z.number().int().positive().default(1),
  pad_value: z.number().default(0),
  /** Batch-level augmentations (mixup, ...) are not available: only null is accepted. */
  batch_augments: z.null().optional(),
};

export interface ImgPreprocessorOptions {
  mean?: number[] | null;
  std?: number[] | null;
  bgr_to_rgb: boolean;
  rgb_to_bgr: boolean;
  pad_size_divisor: number;
  pad_value: number;
}

/**
 * mm*'s data preprocessors (registered in MODELS, owned by the model as `data_preprocessor`):
 * channel reorder, (x - mean) / std per image, then a batch padded at the bottom and right to
 * the largest image, rounded up to `pad_size_divisor`, filled with `pad_value` (after
 * normalisation, as mmengine pads). Subclasses add their task's metas and ground truth.
 */
export abstract class DataPreprocessor<S extends DataSample = DataSample> extends Module {
  protected readonly mean: number[] | null;
  protected readonly std: number[] | null;
  protected readonly swapChannels: boolean;
  protected readonly padSizeDivisor: number;
  protected readonly padValue: number;

  constructor(o: ImgPreprocessorOptions, ctx?: BuildContext) {
    super();
    const fail = (key: string, detail: string) => (ctx ? ctx.error(key, detail) : new UserError(`${key}: ${detail}`));
    if (o.bgr_to_rgb && o.rgb_to_bgr) throw fail('bgr_to_rgb', 'bgr_to_rgb and rgb_to_bgr cannot both be set');
    if ((o.mean == null) !== (o.std == null)) throw fail(o.mean == null ? 'mean' : 'std', 'mean and std are given together or not at all');
    if (o.std?.some((s) => s === 0)) throw fail('std', 'a std of 0 divides by zero');
    this.mean = o.mean ?? null;
    this.std = o.std ?? null;
    this.swapChannels = o.bgr_to_rgb || o.rgb_to_bgr;
    this.padSizeDivisor = o.pad_size_divisor;
    this.padValue = o.pad_value;
  }

  /** Images and samples in, the model's batch out (`training` selects the task's training-only work). */
  abstract process(batch: DataBatch<S>, training: boolean): ModelBatch<S>;

  /** Normalise each image (C, H, W) to float32 in the model's channel order. */
  protected normalize(img: HostTensor, index: number): HostTensor {
    if (img.shape.length !== 3) throw new UserError(`image ${index} must be C×H×W, got shape [${img.shape.join(', ')}]`);
    const [c, h, w] = img.shape;
    if (this.swapChannels && c !== 3) throw new UserError(`image ${index} has ${c} channels; swapping BGR and RGB needs 3`);
    if (this.mean && this.mean.length !== 1 && this.mean.length !== c) {
      throw new UserError(`image ${index} has ${c} channels but the preprocessor's mean has ${this.mean.length} values`);
    }
    const src = img.data as ArrayLike<number>;
    const out = new Float32Array(c * h * w);
    const plane = h * w;
    for (let ch = 0; ch < c; ch++) {
      const from = this.swapChannels ? c - 1 - ch : ch;
      const m = this.mean ? this.mean[this.mean.length === 1 ? 0 : ch] : 0;
      const s = this.std ? this.std[this.std.length === 1 ? 0 : ch] : 1;
      const o = ch * plane;
      const i0 = from * plane;
      for (let i = 0; i < plane; i++) out[o + i] = (src[i0 + i] - m) / s;
    }
    return hostTensor('float32', [c, h, w], out);
  }

  /** (h, w) of the padded batch: the largest image, rounded up to the divisor (or a fixed `size`). */
  protected batchShape(images: readonly HostTensor[], size?: readonly [number, number] | null, divisor = this.padSizeDivisor): [number, number] {
    let h = size?.[0] ?? Math.max(...images.map((i) => i.shape[1]));
    let w = size?.[1] ?? Math.max(...images.map((i) => i.shape[2]));
    h = Math.ceil(h / divisor) * divisor;
    w = Math.ceil(w / divisor) * divisor;
    return [h, w];
  }

  /** Stack normalised images into one [N, C, H, W] batch padded bottom/right with `value`. */
  protected stack(images: readonly HostTensor[], [bh, bw]: readonly [number, number], value = this.padValue): Tensor {
    if (images.length === 0) throw new UserError('a batch needs at least one image');
    const c = images[0].shape[0];
    const out = new Float32Array(images.length * c * bh * bw).fill(value);
    images.forEach((img, n) => {
      const [ic, h, w] = img.shape;
      if (ic !== c) throw new UserError(`image ${n} has ${ic} channels, image 0 has ${c}: a batch needs one channel count`);
      if (h > bh || w > bw) throw new UserError(`image ${n} (${h}×${w}) is larger than the batch size ${bh}×${bw}`);
      const src = img.data as Float32Array;
      for (let ch = 0; ch < c; ch++) {
        for (let y = 0; y < h; y++) out.set(src.subarray((ch * h + y) * w, (ch * h + y) * w + w), ((n * c + ch) * bh + y) * bw);
      }
    });
    return F.constant(hostTensor('float32', [images.length, c, bh, bw], out));
  }

  /** Normalise every image and stack them into a batch padded to `size` or the divisor. */
  protected normalizeAndStack(batch: DataBatch<S>, size?: readonly [number, number] | null, divisor = this.padSizeDivisor) {
    const images = this.normalizeAll(batch);
    const shape = this.batchShape(images, size, divisor);
    return { images, shape, inputs: this.stack(images, shape) };
  }

  /** Normalise every image of a batch (the shared first step of `process`). */
  protected normalizeAll(batch: DataBatch<S>): HostTensor[] {
    if (batch.inputs.length !== batch.data_samples.length) {
      throw new UserError(`a batch has ${batch.inputs.length} images but ${batch.data_samples.length} data samples`);
    }
    return batch.inputs.map((img, i) => this.normalize(img, i));
  }
}
