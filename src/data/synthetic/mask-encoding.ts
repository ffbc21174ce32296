import type { Mask } from './raster';

/** COCO's run-length mask: `size` [height, width], `counts` as numbers (uncompressed) or cocoapi's string. */
export interface CocoRle {
  size: [number, number];
  counts: number[] | string;
}

/** Turns a visible-pixel mask into the RLE written to the annotation file. */
export type MaskEncoder = (mask: Mask) => CocoRle;

/**
 * COCO's uncompressed RLE (what pycocotools' frPyObjects reads from a list of counts): run
 * lengths over the pixels in column-major order, starting with a run of zeros.
 */
export function uncompressedRle(mask: Mask): CocoRle {
  const { data, height: h, width: w } = mask;
  const counts: number[] = [];
  let current = 0;
  let run = 0;
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) {
      const v = data[y * w + x];
      if (v === current) {
        run++;
      } else {
        counts.push(run);
        current = v;
        run = 1;
      }
    }
  }
  counts.push(run);
  return { size: [h, w], counts };
}
