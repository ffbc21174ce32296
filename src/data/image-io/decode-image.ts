import { promises as fsp } from 'node:fs';
import sharp from 'sharp';
import { FileError } from '../../core/errors';
import { swapRedBlue, type ChannelOrder, type ColorType, type HwcImage } from './image';

export interface DecodeOptions {
  /** mmcv's `color_type` (default `color`). */
  colorType?: ColorType;
  /** mmcv's `channel_order` (default `bgr`, as mmcv returns). */
  channelOrder?: ChannelOrder;
}

/**
 * Decode JPEG, PNG (gray, palette, RGB(A), 8 or 16 bit), WebP, TIFF, GIF or AVIF bytes the way
 * mmcv's `imfrombytes(content, flag, channel_order)` does with its default cv2 backend:
 *  - `color`: EXIF orientation applied, 3 channels, alpha dropped, gray replicated, 16-bit
 *    samples cut to their high byte (libpng's strip_16, as OpenCV's PNG reader does);
 *  - `grayscale`: orientation applied, 1 channel, colour converted with OpenCV's BGR2GRAY
 *    weights (0.299 R + 0.587 G + 0.114 B in 14-bit fixed point);
 *  - `unchanged`: as stored (no orientation), 1, 3 or 4 channels (gray + alpha becomes 4, as in
 *    OpenCV), 16-bit files as Uint16Array.
 * Colour channels come in `channelOrder` (mmcv's cv2 path leaves `unchanged` images BGR whatever
 * the order asked; here the order asked is the order returned).
 * `file` names the source in errors: corrupt, truncated and non-image bytes are one FileError.
 */
export async function decodeImage(bytes: Uint8Array, file: string, opts: DecodeOptions = {}): Promise<HwcImage> {
  const colorType = opts.colorType ?? 'color';
  const channelOrder = opts.channelOrder ?? 'bgr';
  if (bytes.length === 0) throw new FileError(file, 'cannot decode image: the file is empty');
  const { image, format } = await decodeRaw(bytes, file, colorType !== 'unchanged');
  if (colorType === 'unchanged') return withOrder(image, channelOrder);
  if (colorType === 'grayscale') return toGray(image, format === 'png' ? LIBPNG_GRAY : OPENCV_GRAY);
  return withOrder(toColor(eightBit(image)), channelOrder);
}

/** Read and decode an image file (see decodeImage). */
export async function readImage(file: string, opts: DecodeOptions = {}): Promise<HwcImage> {
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileError(file, code === 'ENOENT' ? 'no such image file' : code === 'EISDIR' ? 'is a directory, not an image' : `cannot read: ${(e as Error).message}`);
  }
  return decodeImage(bytes, file, opts);
}

/**
 * Pixels as the file stores them: RGB order, alpha and depth kept, gray as one channel (gray +
 * alpha comes as four channels, gray replicated, as OpenCV reads it).
 */
async function decodeRaw(bytes: Uint8Array, file: string, orient: boolean): Promise<{ image: HwcImage; format: string }> {
  try {
    const input = () => sharp(bytes, { failOn: 'warning', limitInputPixels: 1 << 30 });
    const meta = await input().metadata();
    const gray = meta.space === 'b-w' || meta.space === 'grey16';
    const deep = meta.depth === 'ushort';
    let pipe = input();
    if (orient) pipe = pipe.autoOrient();
    // libvips' b-w drops alpha: gray + alpha goes through sRGB, which replicates the gray
    const oneChannel = gray && !meta.hasAlpha;
    pipe = pipe.toColourspace(oneChannel ? (deep ? 'grey16' : 'b-w') : deep ? 'rgb16' : 'srgb');
    const { data, info } = await pipe.raw({ depth: deep ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
    const pixels = deep ? new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length)) : new Uint8Array(data.buffer, data.byteOffset, data.length);
    const image: HwcImage = { data: pixels, height: info.height, width: info.width, channels: info.channels, order: info.channels === 1 ? 'gray' : 'rgb' };
    return { image, format: meta.format ?? '' };
  } catch (e) {
    throw new FileError(file, `cannot decode image: ${describeDecodeError(e)}`);
  }
}

function describeDecodeError(e: unknown): string {
  const first = String((e as Error).message ?? e).split('\n')[0].trim();
  if (/unsupported image format/i.test(first)) return 'not an image in a supported format (JPEG, PNG, WebP, TIFF, GIF, AVIF)';
  return `corrupt or truncated (${first})`;
}

/** 16-bit samples cut to 8 bits by their high byte (libpng's strip_16); 8-bit images as they are. */
function eightBit(img: HwcImage): HwcImage {
  if (!(img.data instanceof Uint16Array)) return img;
  const src = img.data;
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] >> 8;
  return { ...img, data: out };
}

/** Three RGB channels: gray replicated, alpha dropped. */
function toColor(img: HwcImage): HwcImage {
  if (img.channels === 3) return img;
  const n = img.height * img.width;
  const out = new Uint8Array(3 * n);
  const c = img.channels;
  for (let i = 0; i < n; i++) {
    const s = i * c;
    out[3 * i] = img.data[s];
    out[3 * i + 1] = img.data[c === 1 ? s : s + 1];
    out[3 * i + 2] = img.data[c === 1 ? s : s + 2];
  }
  return { ...img, data: out, channels: 3, order: 'rgb' };
}

/** How a decoder turns one RGB pixel (of the file's depth) into gray. */
type GrayRule = (r: number, g: number, b: number, deep: boolean) => number;

/**
 * OpenCV reads PNG through libpng's rgb_to_gray with its coefficients 0.299, 0.587 (as 15-bit
 * fixed point: 9797, 19234, 3737), truncating 8-bit results and rounding 16-bit ones, before
 * stripping 16-bit samples to their high byte; equal channels stay as they are.
 */
const LIBPNG_GRAY: GrayRule = (r, g, b, deep) => {
  if (r === g && r === b) return deep ? r >> 8 : r;
  const sum = 9797 * r + 19234 * g + 3737 * b;
  return deep ? ((sum + 16384) >>> 15) >> 8 : sum >>> 15;
};

/** Every other format: decoded to 8-bit colour, then cvtColor's BGR2GRAY (14-bit fixed point, rounded). */
const OPENCV_GRAY: GrayRule = (r, g, b, deep) =>
  deep ? OPENCV_GRAY(r >> 8, g >> 8, b >> 8, false) : (4899 * r + 9617 * g + 1868 * b + 8192) >> 14;

/** One 8-bit channel. */
function toGray(img: HwcImage, rule: GrayRule): HwcImage {
  const n = img.height * img.width;
  const c = img.channels;
  const src = img.data;
  const deep = src instanceof Uint16Array;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const s = i * c;
    out[i] = c === 1 ? (deep ? src[s] >> 8 : src[s]) : rule(src[s], src[s + 1], src[s + 2], deep);
  }
  return { data: out, height: img.height, width: img.width, channels: 1, order: 'gray' };
}

/** RGB(A) pixels in the order asked for. */
function withOrder(img: HwcImage, order: ChannelOrder): HwcImage {
  return img.order === 'gray' || img.order === order ? img : swapRedBlue(img);
}
