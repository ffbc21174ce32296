import type { Random } from '../../core/random';
import type { HwcImage } from '../image-io/image';
import { Canvas, randomColor, randomFill, type Fill, type Rgb } from './canvas';
import { cocoJson, type CocoImageRecord } from './coco-json';
import type { SyntheticTask } from './dataset-writer';
import { addMask, drawCapsule, emptyMask, maskArea, maskBox, overlapArea, polygonMask, subtractMask, type Mask, type Point } from './raster';
import { placeShape } from './shapes';

/** COCO's 17 person keypoints, in COCO's order. */
export const COCO_KEYPOINTS = [
  'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow',
  'left_wrist', 'right_wrist', 'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle',
] as const;
/** COCO's skeleton (1-based keypoint numbers, as in COCO's person category). */
export const COCO_SKELETON = [
  [16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7], [6, 8],
  [7, 9], [8, 10], [9, 11], [2, 3], [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7],
];
/** Left/right keypoint pairs (0-based), swapped by a horizontal flip (mmpose's flip_indices). */
export const COCO_FLIP_PAIRS = [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12], [13, 14], [15, 16]];

export const POSE_CATEGORY = { id: 1, name: 'person', supercategory: 'person', keypoints: [...COCO_KEYPOINTS], skeleton: COCO_SKELETON, flip_pairs: COCO_FLIP_PAIRS };

export interface PoseAnnotation {
  category_id: 1;
  bbox: [number, number, number, number];
  area: number;
  iscrowd: 0;
  /** x, y, v for each of the 17 keypoints: v = 2 visible, 1 in the image but covered, 0 outside it (x = y = 0). */
  keypoints: number[];
  num_keypoints: number;
}

const FACE = [0, 1, 2];
const MIN_VISIBLE = 0.5;

interface Figure {
  joints: Point[];
  parts: { mask: Mask; fill: Fill }[];
  mask: Mask;
  /** Seen from behind: the face keypoints are hidden by the head. */
  fromBehind: boolean;
}

/**
 * A stick figure with the COCO joints: hips and torso leaning a little, arms and legs at
 * random angles, a head with eyes, ears and nose. Facing the camera its left side is on the
 * image's right (as for a person); its left limbs are drawn darker than its right ones, so a
 * model can tell the sides apart.
 */
function makeFigure(rng: Random, height: number, width: number, figureHeight: number, hx: number, hy: number): Figure {
  const u = figureHeight / 7.4;
  const lean = rng.uniform(-0.3, 0.3);
  const up: Point = [Math.sin(lean), -Math.cos(lean)];
  const down: Point = [-up[0], -up[1]];
  const fromBehind = rng.chance(0.3);
  const f = fromBehind ? -1 : 1;
  // unit vector towards the figure's left side in the image
  const left: Point = [f * Math.cos(lean), f * Math.sin(lean)];
  const at = (p: Point, d: Point, k: number): Point => [p[0] + d[0] * k, p[1] + d[1] * k];
  const rot = (d: Point, a: number): Point => [d[0] * Math.cos(a) - d[1] * Math.sin(a), d[0] * Math.sin(a) + d[1] * Math.cos(a)];
  const hip: Point = [hx, hy];
  const neck = at(hip, up, 2.6 * u);
  const head = at(neck, up, 1.1 * u);
  const j: Point[] = new Array(17);
  j[0] = at(head, down, 0.1 * u);
  const limb = (side: 1 | -1, root: Point, len1: number, len2: number, spread: [number, number], bend: [number, number]) => {
    const out: Point = [side * left[0], side * left[1]];
    const a = rng.uniform(...spread);
    const d1: Point = [down[0] * Math.cos(a) + out[0] * Math.sin(a), down[1] * Math.cos(a) + out[1] * Math.sin(a)];
    const mid = at(root, d1, len1 * u);
    return [mid, at(mid, rot(d1, rng.uniform(...bend)), len2 * u)];
  };
  for (const [k, side] of [[0, 1], [1, -1]] as const) {
    j[1 + k] = at(at(head, up, 0.15 * u), left, side * 0.22 * u); // eyes
    j[3 + k] = at(head, left, side * 0.48 * u); // ears
    j[5 + k] = at(neck, left, side * 0.9 * u); // shoulders
    j[11 + k] = at(hip, left, side * 0.55 * u); // hips
    [j[7 + k], j[9 + k]] = limb(side, j[5 + k], 1.5, 1.3, [-0.3, 2.8], [-1.6, 1.6]);
    [j[13 + k], j[15 + k]] = limb(side, j[11 + k], 1.9, 1.8, [-0.3, 0.8], [-1.2, 1.2]);
  }

  const base = randomColor(rng);
  const shadeOf = (k: number): Rgb => base.map((c) => Math.max(0, Math.min(255, c * k + (k > 1 ? 40 : 0)))) as Rgb;
  const solid = (color: Rgb): Fill => ({ ...randomFill(rng), color, stripeContrast: 0, shade: rng.uniform(-0.2, 0.2) });
  const [darker, lighter] = [solid(shadeOf(0.55)), solid(shadeOf(1.25))];
  const r = Math.max(1.2, 0.28 * u);
  const parts: Figure['parts'] = [];
  const bone = (a: number, b: number, c: number, fill: Fill) => {
    const m = emptyMask(height, width);
    drawCapsule(m, j[a], j[b], r);
    drawCapsule(m, j[b], j[c], r);
    parts.push({ mask: m, fill });
  };
  bone(11, 13, 15, darker);
  bone(12, 14, 16, lighter);
  parts.push({ mask: polygonMask(height, width, [j[5], j[6], j[12], j[11]]), fill: solid(base) });
  bone(5, 7, 9, darker);
  bone(6, 8, 10, lighter);
  const headMask = emptyMask(height, width);
  drawCapsule(headMask, head, head, 0.6 * u);
  parts.push({ mask: headMask, fill: solid(randomColor(rng)) });
  if (!fromBehind) {
    const dots = emptyMask(height, width);
    for (const k of FACE) drawCapsule(dots, j[k], j[k], Math.max(0.8, 0.08 * u));
    parts.push({ mask: dots, fill: solid([20, 20, 20]) });
  }
  const mask = emptyMask(height, width);
  for (const p of parts) addMask(mask, p.mask);
  return { joints: j, parts, mask, fromBehind };
}

/**
 * One pose image: a textured background, 1-4 figures of different sizes (later ones in front,
 * some partly outside the image), sometimes a shape in front of them, then noise. Each
 * figure's box and area are those of its visible pixels; a keypoint is visible (2) when the
 * pixel under it shows that figure, covered (1) when something else is drawn there (or, seen
 * from behind, for the face), 0 outside the image.
 */
export function drawPoseImage(rng: Random, height: number, width: number): { image: HwcImage; annotations: PoseAnnotation[] } {
  const canvas = new Canvas(height, width);
  canvas.paintBackground(rng);
  const figures: (Figure & { visible: Mask; area: number; full: number })[] = [];
  for (let n = rng.pick([1, 1, 2, 2, 3, 4]); n > 0; n--) {
    for (let t = 0; t < 6; t++) {
      const fh = rng.uniform(0.35, 0.95) * height;
      const fig = makeFigure(rng, height, width, fh, rng.uniform(0.1, 0.9) * width, rng.uniform(0.35, 0.75) * height + 0.1 * fh);
      const inFrame = fig.joints.filter(([x, y]) => x >= 0 && y >= 0 && x < width && y < height).length;
      const full = maskArea(fig.mask);
      if (inFrame < 10 || full < 60) continue;
      if (figures.some((g) => g.area - overlapArea(g.visible, fig.mask) < MIN_VISIBLE * g.full)) continue;
      for (const p of fig.parts) canvas.paintMask(p.mask, p.fill, fig.joints[11][0], fig.joints[11][1]);
      for (const g of figures) g.area -= subtractMask(g.visible, fig.mask);
      figures.push({ ...fig, visible: fig.mask, area: full, full });
      break;
    }
  }
  if (rng.chance(0.35)) {
    // an occluder in front of the people
    const { points, cx, cy } = placeShape(rng.pick(['rectangle', 'circle', 'ellipse'] as const), rng.uniform(0.02, 0.08) * height * width, height, width, rng);
    const m = polygonMask(height, width, points);
    canvas.paintMask(m, randomFill(rng), cx, cy);
    for (const g of figures) g.area -= subtractMask(g.visible, m);
  }
  canvas.addNoise(rng, rng.uniform(2, 8));
  const annotations = figures.filter((g) => g.area >= 30).map((g) => annotateFigure(g, g.visible, height, width));
  return { image: canvas.toImage(), annotations };
}

function annotateFigure(fig: Figure, visible: Mask, height: number, width: number): PoseAnnotation {
  const keypoints: number[] = [];
  fig.joints.forEach(([jx, jy], k) => {
    const [x, y] = [round2(jx), round2(jy)];
    if (!(x >= 0 && y >= 0 && x < width && y < height)) return keypoints.push(0, 0, 0);
    const shown = visible.data[Math.floor(y) * width + Math.floor(x)] === 1 && !(fig.fromBehind && FACE.includes(k));
    keypoints.push(x, y, shown ? 2 : 1);
  });
  const num = fig.joints.filter((_, k) => keypoints[3 * k + 2] > 0).length;
  return { category_id: 1, bbox: maskBox(visible)!, area: maskArea(visible), iscrowd: 0, keypoints, num_keypoints: num };
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

/**
 * The pose set in mmpose's COCO layout: `train/*.jpg`, `val/*.jpg`,
 * `annotations/person_keypoints_train.json`, `annotations/person_keypoints_val.json`.
 */
export function poseTask(): SyntheticTask<CocoImageRecord<PoseAnnotation>> {
  return {
    name: 'pose',
    defaultSize: [256, 256],
    defaultCounts: { train: 1000, val: 200 },
    outputs: ['train', 'val', 'annotations'],
    sample(rng, split, index, height, width) {
      const { image, annotations } = drawPoseImage(rng, height, width);
      const file = `${String(index).padStart(6, '0')}.jpg`;
      return { files: [{ path: `${split}/${file}`, image }], record: { file_name: file, annotations } };
    },
    annotations: (split, records, height, width) => ({
      [`annotations/person_keypoints_${split}.json`]: cocoJson(`hrdet synthetic stick figures (${split})`, records, height, width, [POSE_CATEGORY]),
    }),
  };
}
