/**
 * A decoded image as mmcv hands it on: height x width x channels, row-major, channels
 * interleaved (HWC). 8-bit unless read `unchanged` from a 16-bit file.
 */
export interface HwcImage {
  data: Uint8Array | Uint16Array;
  height: number;
  width: number;
  /** 1 (gray), 3 (colour) or 4 (colour + alpha). */
  channels: number;
  /** Order of the colour channels ('gray' for one channel); alpha, when present, comes last. */
  order: 'bgr' | 'rgb' | 'gray';
}

/** mmcv's `channel_order`. */
export type ChannelOrder = 'bgr' | 'rgb';

/**
 * mmcv's `color_type` / `imfrombytes` flag: `color` (3 channels, EXIF orientation applied),
 * `grayscale` (1 channel, orientation applied), `unchanged` (as stored, alpha and 16-bit kept,
 * orientation not applied).
 */
export type ColorType = 'color' | 'grayscale' | 'unchanged';

/** The accepted values, for option schemas (LoadImageFromFile). */
export const CHANNEL_ORDERS: readonly ChannelOrder[] = ['bgr', 'rgb'];
export const COLOR_TYPES: readonly ColorType[] = ['color', 'grayscale', 'unchanged'];

/** The same pixels with red and blue swapped (BGR <-> RGB); gray images are returned as they are. */
export function swapRedBlue<T extends HwcImage>(img: T): T {
  if (img.order === 'gray') return img;
  const src = img.data;
  const out = src.slice() as T['data'];
  const c = img.channels;
  for (let i = 0; i < src.length; i += c) {
    out[i] = src[i + 2];
    out[i + 2] = src[i];
  }
  return { ...img, data: out, order: img.order === 'bgr' ? 'rgb' : 'bgr' };
}
