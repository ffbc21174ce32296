import { extname } from 'node:path';
import sharp from 'sharp';
import { UserError } from '../../core/errors';
import { writeFileAtomic } from '../../io/atomic-write';
import { swapRedBlue, type HwcImage } from './image';

export type ImageFormat = 'png' | 'jpeg';

export interface EncodeOptions {
  /** JPEG quality 1..100 (default 95, mmcv's imwrite default through OpenCV). */
  quality?: number;
  /** PNG zlib level 0..9 (default 6). */
  compressionLevel?: number;
}

/**
 * Encode an HWC image (see HwcImage: its `order` says whether the colour channels are BGR or
 * RGB) as PNG or JPEG. One channel is written as a gray image, so label maps stay one channel;
 * 16-bit data is written as a 16-bit PNG. No metadata is written, so the bytes depend only on
 * the pixels and options.
 */
export async function encodeImage(img: HwcImage, format: ImageFormat, opts: EncodeOptions = {}): Promise<Buffer> {
  checkImage(img);
  const deep = img.data instanceof Uint16Array;
  if (deep && format === 'jpeg') throw new UserError('JPEG holds 8-bit samples only: write 16-bit images as PNG');
  if (img.channels === 4 && format === 'jpeg') throw new UserError('JPEG has no alpha channel: drop it or write PNG');
  const rgb = img.order === 'bgr' ? swapRedBlue(img) : img;
  const gray = img.channels === 1;
  let pipe = sharp(rgb.data, { raw: { width: img.width, height: img.height, channels: img.channels as 1 | 3 | 4 } });
  pipe = pipe.toColourspace(gray ? (deep ? 'grey16' : 'b-w') : deep ? 'rgb16' : 'srgb');
  if (format === 'png') return pipe.png({ compressionLevel: opts.compressionLevel ?? 6 }).toBuffer();
  return pipe.jpeg({ quality: opts.quality ?? 95 }).toBuffer();
}

/** The format a file name asks for: .png, or .jpg / .jpeg. */
export function formatOfPath(path: string): ImageFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.png') return 'png';
  if (ext === '.jpg' || ext === '.jpeg') return 'jpeg';
  throw new UserError(`${path}: cannot tell the image format from "${ext || '(no extension)'}": use .png, .jpg or .jpeg`);
}

/** Encode (format from the extension) and write atomically: a reader never sees a half-written image. */
export async function writeImage(path: string, img: HwcImage, opts: EncodeOptions = {}): Promise<void> {
  const bytes = await encodeImage(img, formatOfPath(path), opts);
  await writeFileAtomic(path, (out) => out.write(bytes));
}

function checkImage(img: HwcImage): void {
  const { height, width, channels, data } = img;
  if (![1, 3, 4].includes(channels)) throw new UserError(`cannot encode an image with ${channels} channels (1, 3 or 4)`);
  if ((channels === 1) !== (img.order === 'gray')) throw new UserError(`image order '${img.order}' does not fit ${channels} channel(s)`);
  if (!(height > 0 && width > 0) || data.length !== height * width * channels) {
    throw new UserError(`image data holds ${data.length} values, expected ${height}x${width}x${channels}`);
  }
}
