import { linspace } from './numeric';

export type IouType = 'bbox' | 'segm' | 'keypoints';
export const IOU_TYPES: readonly IouType[] = ['bbox', 'segm', 'keypoints'];

/** COCO's 17 person keypoint OKS sigmas (pycocotools' `kpt_oks_sigmas`). */
export const COCO_KEYPOINT_SIGMAS: readonly number[] = [
  0.26, 0.25, 0.25, 0.35, 0.35, 0.79, 0.79, 0.72, 0.72, 0.62, 0.62, 1.07, 1.07, 0.87, 0.87, 0.89, 0.89,
].map((s) => s / 10.0);

/** pycocotools' `Params`, with its defaults per iou type. */
export interface CocoEvalParams {
  iouType: IouType;
  /** Images evaluated; default every GT image. */
  imgIds: number[];
  /** Categories evaluated; default every GT category (keypoints: those that define keypoints). */
  catIds: number[];
  iouThrs: number[];
  recThrs: number[];
  maxDets: number[];
  areaRng: [number, number][];
  areaRngLbl: string[];
  kptOksSigmas: readonly number[];
}

export function defaultParams(iouType: IouType, imgIds: number[] = [], catIds: number[] = []): CocoEvalParams {
  const keypoints = iouType === 'keypoints';
  return {
    iouType,
    imgIds,
    catIds,
    iouThrs: linspace(0.5, 0.95, Math.round((0.95 - 0.5) / 0.05) + 1),
    recThrs: linspace(0.0, 1.0, Math.round((1.0 - 0.0) / 0.01) + 1),
    maxDets: keypoints ? [20] : [1, 10, 100],
    areaRng: keypoints
      ? [[0, 1e10], [32 ** 2, 96 ** 2], [96 ** 2, 1e10]]
      : [[0, 1e10], [0, 32 ** 2], [32 ** 2, 96 ** 2], [96 ** 2, 1e10]],
    areaRngLbl: keypoints ? ['all', 'medium', 'large'] : ['all', 'small', 'medium', 'large'],
    kptOksSigmas: COCO_KEYPOINT_SIGMAS,
  };
}
