import { rleFromPolygons } from './polygon';
import { rleFromCoco, type CocoRle } from './rle-string';
import type { Rle } from './rle';

/** A COCO `segmentation` field: polygons (one or more parts), or RLE (compressed or not). */
export type CocoSegmentation = number[][] | CocoRle;

/**
 * The mask of a COCO annotation as pycocotools' annToRLE makes it: polygons are rasterised at
 * the image size and their parts merged; RLE keeps the size it carries.
 */
export function segmentationToRle(segm: CocoSegmentation, imageHeight: number, imageWidth: number): Rle {
  if (Array.isArray(segm)) return rleFromPolygons(segm, imageHeight, imageWidth);
  return rleFromCoco(segm);
}
