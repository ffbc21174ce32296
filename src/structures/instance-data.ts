import type { HostTensor } from '../core/host-tensor';
import type { Tensor } from '../core/tensor';
import { TENSORS, type TensorContainer } from '../core/tensor-container';
import { Boxes } from './boxes';
import { TensorBoxes } from './tensor-boxes';
import { BitmapMasks, type Polygons, type Rle } from './masks';

/** Per-instance fields under mm*'s names; every present field has one entry per instance. */
export interface InstanceFields {
  bboxes?: Boxes | TensorBoxes;
  scores?: Float32Array | Tensor;
  labels?: Int32Array | Tensor;
  /** Bitmaps, RLEs or polygons on the host; per-instance probabilities [N, h, w] on the engine. */
  masks?: BitmapMasks | Rle[] | Polygons[] | Tensor;
  /** mmdet's ignore flags (crowd regions): 1 = ignore. */
  ignore_flags?: Uint8Array;
  /** [N, K, 2] keypoint coordinates. */
  keypoints?: HostTensor;
  /** [N, K] visibility (0 unlabelled, then 1, 2 as COCO, or a weight in [0, 1]). */
  keypoints_visible?: HostTensor;
  /** [N, K] predicted keypoint confidences. */
  keypoint_scores?: HostTensor;
  /** [N, 2] box centres and [N, 2] box scales (w, h) of top-down pose. */
  bbox_centers?: HostTensor;
  bbox_scales?: HostTensor;
  bbox_scores?: Float32Array;
  /** Anchors or points the instances came from, and their pyramid levels (proposals). */
  priors?: Tensor;
  level_ids?: Int32Array | Tensor;
}

/**
 * A set of instances, every field of the same length (mmengine's InstanceData): ground truth,
 * proposals, predictions. Engine tensors inside are declared, so memory scopes keep them.
 */
// the fields are InstanceFields' (declaration merging), so they are listed once
// eslint-disable-next-line @typescript-eslint/no-empty-interface, @typescript-eslint/no-unsafe-declaration-merging
export interface InstanceData extends InstanceFields {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class InstanceData implements TensorContainer {
  constructor(fields: InstanceFields = {}) {
    Object.assign(this, fields);
    this.length; // checks that the fields agree
  }

  /** The fields that are set, by name. */
  entries(): [keyof InstanceFields, NonNullable<InstanceFields[keyof InstanceFields]>][] {
    return (Object.keys(this) as (keyof InstanceFields)[]).filter((k) => this[k] !== undefined).map((k) => [k, this[k]!]);
  }

  /** Number of instances (0 when no field is set); throws when fields disagree. */
  get length(): number {
    let n: number | null = null;
    for (const [k, v] of this.entries()) {
      const len = fieldLength(v);
      if (n !== null && len !== n) throw new Error(`InstanceData field '${k}' has ${len} entries, others have ${n}`);
      n = len;
    }
    return n ?? 0;
  }

  [TENSORS](): Iterable<unknown> {
    return this.entries().map(([, v]) => v);
  }

  /** The instances at `indices` (host fields only). */
  index(indices: ArrayLike<number>): InstanceData {
    const out = new InstanceData();
    for (const [k, v] of this.entries()) (out as unknown as Record<string, unknown>)[k] = indexField(k, v, indices);
    return out;
  }
}

function fieldLength(v: NonNullable<InstanceFields[keyof InstanceFields]>): number {
  if (v instanceof Boxes || v instanceof TensorBoxes || v instanceof BitmapMasks) return v.length;
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return v.length;
  return (v as { shape: readonly number[] }).shape[0];
}

function indexField(key: string, v: NonNullable<InstanceFields[keyof InstanceFields]>, idx: ArrayLike<number>): unknown {
  if (v instanceof Boxes || v instanceof BitmapMasks) return v.index(idx);
  if (Array.isArray(v)) return Array.from(idx, (i) => (v as unknown[])[i]);
  if (v instanceof Float32Array || v instanceof Int32Array || v instanceof Uint8Array) {
    const src = v as Float32Array;
    const out = new (src.constructor as new (n: number) => Float32Array)(idx.length);
    for (let i = 0; i < idx.length; i++) out[i] = src[idx[i]];
    return out;
  }
  if (isHostTensor(v)) {
    const row = v.shape.slice(1).reduce((a, b) => a * b, 1);
    const data = new Float32Array(idx.length * row);
    for (let i = 0; i < idx.length; i++) data.set((v.data as Float32Array).subarray(idx[i] * row, (idx[i] + 1) * row), i * row);
    return { dtype: 'float32', shape: [idx.length, ...v.shape.slice(1)], data } satisfies HostTensor;
  }
  throw new Error(`InstanceData.index: field '${key}' lives on the engine; index it there`);
}

function isHostTensor(v: unknown): v is HostTensor {
  return typeof v === 'object' && v !== null && 'data' in v && ArrayBuffer.isView((v as HostTensor).data) && 'shape' in v;
}
