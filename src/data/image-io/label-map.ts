import { promises as fsp } from 'node:fs';
import { FileError } from '../../core/errors';
import { decodeImage } from './decode-image';
import { pngHeader, pngPaletteIndices } from './png-palette-indices';

/** A label map as read: H×W class indices, row-major. */
export interface LabelMapImage {
  data: Uint8Array;
  height: number;
  width: number;
}

/**
 * Decode a segmentation label map as mmseg's LoadAnnotations reads one:
 * `imfrombytes(bytes, flag='unchanged', backend='pillow').squeeze().astype(uint8)`.
 * Palette PNGs give their palette indices (Pillow's 'P' mode), gray images their values
 * (1-bit PNGs 0 and 1, as Pillow's mode '1'), 16-bit ones their low byte (numpy's uint8
 * cast). A label map with colour or alpha channels is one FileError naming the file (mmseg
 * would carry an H×W×C array on and fail later).
 */
export async function decodeLabelMap(bytes: Uint8Array, file: string): Promise<LabelMapImage> {
  const png = pngHeader(bytes);
  if (png?.colorType === 3) return pngPaletteIndices(bytes, file);
  const img = await decodeImage(bytes, file, { colorType: 'unchanged' });
  if (img.channels !== 1) {
    throw new FileError(file, `label map has ${img.channels} channels; expected one channel of class indices (a gray or palette PNG)`);
  }
  const src = img.data;
  let data: Uint8Array;
  if (src instanceof Uint16Array) data = Uint8Array.from(src, (v) => v & 0xff);
  else if (png?.colorType === 0 && png.bitDepth === 1) data = Uint8Array.from(src, (v) => (v ? 1 : 0));
  else data = src;
  return { data, height: img.height, width: img.width };
}

/** Read and decode a label-map file (see decodeLabelMap). */
export async function readLabelMap(file: string): Promise<LabelMapImage> {
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileError(file, code === 'ENOENT' ? 'no such segmentation map file' : `cannot read: ${(e as Error).message}`);
  }
  return decodeLabelMap(bytes, file);
}
