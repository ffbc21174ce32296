import type { ImageShape } from './boxes';

/**
 * What mm* data samples carry about their image (`metainfo`). Shapes are (h, w); `scale_factor`
 * is (w, h) as mmdet stores it: resized size / original size.
 */
export interface ImageMeta {
  img_id?: number | string;
  img_path?: string | null;
  /** Size of the image as read from its file. */
  ori_shape?: ImageShape;
  /** Size after the resize transforms, before padding. */
  img_shape?: ImageShape;
  /** Size after padding (Pad transform or the data preprocessor). */
  pad_shape?: ImageShape;
  /** Size of the whole padded batch the image sits in. */
  batch_input_shape?: ImageShape;
  scale_factor?: readonly [number, number];
  flip?: boolean;
  flip_direction?: 'horizontal' | 'vertical' | 'diagonal' | null;
  /** mmseg: padding added by the preprocessor (left, right, top, bottom). */
  padding_size?: readonly [number, number, number, number];
  /** mmpose top-down: the crop's input size (w, h), centre and scale (w, h) in the image. */
  input_size?: readonly [number, number];
  input_center?: readonly [number, number];
  input_scale?: readonly [number, number];
  /** mmpose: for each keypoint, its mirror (flip test, RandomFlip). */
  flip_indices?: readonly number[];
  /** Anything else a transform records (mm* metas are open). */
  [key: string]: unknown;
}
