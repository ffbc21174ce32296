/** pycocotools' COCO / COCOeval in TypeScript. */
export * from './coco-types';
export { CocoGroundTruth } from './coco-ground-truth';
export { loadCocoResults } from './coco-results';
export { CocoEval, evaluateCoco, type CocoEvalResult } from './coco-eval';
export { defaultParams, COCO_KEYPOINT_SIGMAS, IOU_TYPES, type CocoEvalParams, type IouType } from './params';
export { DET_STAT_NAMES, KPT_STAT_NAMES, formatSummary, formatFixed3, type SummaryEntry } from './summarize';
export type { Accumulated } from './accumulate';
