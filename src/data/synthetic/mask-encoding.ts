import type { Mask } from './raster';

/** COCO's run-length mask: `size` [height, width], `counts` in cocoapi's compressed string form. */
export interface CocoRle {
  size: [number, number];
  counts: string;
}

/**
 * Turns a visible-pixel mask into the RLE written to an annotation file. The generators take
 * it from their caller (the API layer passes the COCO mask API of src/structures/mask), so
 * the data layer needs nothing above it.
 */
export type MaskEncoder = (mask: Mask) => CocoRle;
