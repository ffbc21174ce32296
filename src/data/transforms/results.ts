import type { Random } from '../../core/random';
import type { Boxes, ImageShape } from '../../structures/boxes';
import type { BitmapMasks, Polygons, Rle } from '../../structures/masks';
import type { HwcImage } from '../image-io/image';

/** An image as the transforms pass it on: HWC, 8-bit, 16-bit, or float32 after `to_float32`. */
export type PipelineImage = Omit<HwcImage, 'data'> & { data: Uint8Array | Uint16Array | Float32Array };

/** A one-channel label map as the transforms pass it on (the image type, so the image ops apply). */
export type SegMap = Omit<PipelineImage, 'data' | 'channels'> & { channels: 1; data: Uint8Array };

/** One annotated instance as a dataset hands it to LoadAnnotations (mmdet's `instances` entries). */
export interface RawInstance {
  /** x1 y1 x2 y2 in pixels of the original image. */
  bbox: [number, number, number, number];
  bbox_label: number;
  /** 1 for crowd regions (COCO `iscrowd`), which training ignores. */
  ignore_flag: 0 | 1;
  /** COCO `segmentation`: polygons, or an RLE (compressed string or uncompressed counts). */
  mask?: Polygons | Rle;
}

/**
 * mmcv's results dict: what one sample carries from transform to transform. Keys are mm*'s;
 * transforms add their own (`[key: string]`), as mmcv transforms do.
 */
export interface Results {
  img_path?: string;
  img_id?: number | string;
  sample_idx?: number;
  img?: PipelineImage;
  /** (h, w) of the image as read, and after resizing. */
  ori_shape?: ImageShape;
  img_shape?: ImageShape;
  pad_shape?: ImageShape;
  /** (w, h): resized size / original size. */
  scale_factor?: [number, number];
  flip?: boolean;
  flip_direction?: 'horizontal' | 'vertical' | 'diagonal' | null;
  instances?: RawInstance[];
  gt_bboxes?: Boxes;
  gt_bboxes_labels?: Int32Array;
  /** 1 = ignore (crowd). */
  gt_ignore_flags?: Uint8Array;
  gt_masks?: BitmapMasks;
  /** mmseg's semantic label map: one channel of class indices (uint8), at the image's size. */
  gt_seg_map?: SegMap;
  /** mmpretrain: the image's class index (or indices). */
  gt_label?: number | readonly number[];
  /**
   * The seeded generator random transforms draw from; the loader derives one per sample from its
   * seed, so a seed fixes the whole data stream.
   */
  rng?: Random;
  /** Where the sample came from in its annotation file, for error messages (`file: images[3] (id 7)`). */
  ann_source?: string;
  [key: string]: unknown;
}

/** An mmcv transform: results in, results out; `null` drops the sample (mmcv returns None). */
export interface Transform {
  transform(results: Results): Results | null | Promise<Results | null>;
}
