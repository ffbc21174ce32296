import type { CocoSegmentation, Rle } from '../../structures/mask';

/** An image entry of a COCO annotation file (the fields evaluation reads). */
export interface CocoImage {
  id: number;
  width: number;
  height: number;
  file_name?: string;
}

export interface CocoCategory {
  id: number;
  name: string;
  supercategory?: string;
  keypoints?: string[];
  skeleton?: number[][];
}

/** A ground-truth annotation. */
export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  iscrowd: number;
  area: number;
  bbox: number[];
  segmentation?: CocoSegmentation;
  keypoints?: number[];
  num_keypoints?: number;
}

/** The parts of a COCO annotation file evaluation uses. */
export interface CocoDatasetJson {
  images: CocoImage[];
  annotations: CocoAnnotation[];
  categories: CocoCategory[];
  [key: string]: unknown;
}

/** One record of a COCO results file (`COCO.loadRes` input). */
export interface CocoResult {
  image_id: number;
  category_id: number;
  score: number;
  bbox?: number[];
  segmentation?: CocoSegmentation;
  keypoints?: number[];
}

/** A result after loadRes: numbered from 1 in file order, with its area and box filled in. */
export interface CocoDetection {
  id: number;
  image_id: number;
  category_id: number;
  score: number;
  area: number;
  bbox: number[];
  segmentation?: CocoSegmentation;
  keypoints?: number[];
  /** The decoded mask of an RLE `segmentation`, kept so it is parsed once. */
  rle?: Rle;
}
