/** COCO's mask API (cocoapi maskApi.c semantics) in TypeScript. */
export { type Rle, type BitmapOrder, makeRle, encodeMask, decodeRle, rleArea, rleToBbox, mergeRles } from './rle';
export { type CocoRle, rleToString, rleFromString, rleToCoco, rleFromCoco } from './rle-string';
export { rleFromPolygon, rleFromPolygons, rleFromBbox } from './polygon';
export { type IouMatrix, bboxIou, rleIou } from './iou';
export { type CocoSegmentation, segmentationToRle } from './segmentation';
