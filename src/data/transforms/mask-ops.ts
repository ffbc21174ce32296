import { BitmapMasks } from '../../structures/masks';
import { flipImage, padImage, resizeImage } from './image-ops';

/** Each mask seen as a one-channel image, transformed by `f`, stacked again. */
function eachMask(m: BitmapMasks, h: number, w: number, f: (img: { data: Uint8Array; height: number; width: number; channels: 1; order: 'gray' }) => { data: ArrayLike<number> }): BitmapMasks {
  const out = new Uint8Array(m.length * h * w);
  for (let i = 0; i < m.length; i++) out.set(f({ data: m.mask(i), height: m.height, width: m.width, channels: 1, order: 'gray' }).data, i * h * w);
  return new BitmapMasks(out, m.length, h, w);
}

/** Masks resized to (h, w) with nearest-neighbour sampling (mmdet's BitmapMasks.rescale / resize). */
export function resizeMasks(m: BitmapMasks, h: number, w: number): BitmapMasks {
  return eachMask(m, h, w, (img) => resizeImage(img, h, w, 'nearest'));
}

export function flipMasks(m: BitmapMasks, direction: 'horizontal' | 'vertical' | 'diagonal'): BitmapMasks {
  return eachMask(m, m.height, m.width, (img) => flipImage(img, direction));
}

export function padMasks(m: BitmapMasks, h: number, w: number, value: number): BitmapMasks {
  return eachMask(m, h, w, (img) => padImage(img, h, w, value));
}
