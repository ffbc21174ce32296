import type { Random } from '../../core/random';
import type { HwcImage } from '../image-io/image';
import { Canvas, colorAt, randomColor, randomFill } from './canvas';
import { cocoJson, type CocoImageRecord } from './coco-json';
import type { SyntheticTask } from './dataset-writer';
import type { CocoRle, MaskEncoder } from './mask-encoding';
import { addMask, drawCapsule, emptyMask, maskArea, maskBox, overlapArea, polygonMask, subtractMask, type Mask, type Point } from './raster';
import { placeShape, SHAPES, type ShapeKind } from './shapes';

export const DET_CATEGORIES = SHAPES.map((name, i) => ({ id: i + 1, name, supercategory: 'shape' }));

export interface DetAnnotation {
  category_id: number;
  /** [x, y, w, h] of the visible pixels. */
  bbox: [number, number, number, number];
  /** Visible pixels. */
  area: number;
  iscrowd: 0 | 1;
  /** A polygon for whole objects; RLE for crowds and for objects something covers. */
  segmentation: number[][] | CocoRle;
}

/**
 * The detection set in mmdetection's COCO layout: `train/000000.jpg ...`, `val/...`,
 * `annotations/instances_train.json`, `annotations/instances_val.json` (file names relative
 * to the split's image folder, i.e. `data_prefix=dict(img='train/')`).
 */
export function detTask(encode: MaskEncoder): SyntheticTask<CocoImageRecord<DetAnnotation>> {
  return {
    name: 'det',
    defaultSize: [256, 256],
    defaultCounts: { train: 1000, val: 200 },
    outputs: ['train', 'val', 'annotations'],
    sample(rng, split, index, height, width) {
      const { image, annotations } = drawDetImage(rng, height, width, encode);
      const file = `${String(index).padStart(6, '0')}.jpg`;
      return { files: [{ path: `${split}/${file}`, image }], record: { file_name: file, annotations } };
    },
    annotations: (split, records, height, width) => ({
      [`annotations/instances_${split}.json`]: cocoJson(`hrdet synthetic shapes (${split})`, records, height, width, DET_CATEGORIES),
    }),
  };
}

/** COCO's area ranges (pycocotools' small < 32², medium < 96², large). */
const SMALL = 32 * 32;
const MEDIUM = 96 * 96;
/** An object keeps at least this share of itself visible when later ones are drawn over it. */
const MIN_VISIBLE = 0.45;
const PLACEMENT_TRIES = 6;

/**
 * One detection image: a textured background with unlabelled clutter (lines), sometimes a
 * crowd (many tiny shapes of one category, one iscrowd annotation), then 2-8 shapes of random
 * category, colour, pattern, rotation and size (about 40% small, 40% medium, 20% large by
 * COCO's ranges, where the image allows), each drawn over the earlier ones, then noise.
 * Annotations describe what is visible: a covered object's mask, box and area are those of
 * its remaining pixels.
 */
export function drawDetImage(rng: Random, height: number, width: number, encode: MaskEncoder): { image: HwcImage; annotations: DetAnnotation[] } {
  const canvas = new Canvas(height, width);
  canvas.paintBackground(rng);
  drawClutter(canvas, rng);
  const crowd = rng.chance(0.25) ? drawCrowd(canvas, rng) : null;

  const placed: { kind: ShapeKind; points: Point[]; full: number; visible: Mask; area: number }[] = [];
  const count = rng.between(2, 8);
  for (let k = 0; k < count; k++) {
    const kind = rng.pick(SHAPES);
    const area = sampleArea(rng, height, width);
    for (let t = 0; t < PLACEMENT_TRIES; t++) {
      const placement = placeShape(kind, area, height, width, rng);
      const { cx, cy } = placement;
      // the annotation's polygon is what the mask is drawn from, to the written precision
      const points = placement.points.map(([x, y]) => [round2(x), round2(y)] as Point);
      const mask = polygonMask(height, width, points);
      const full = maskArea(mask);
      if (full < 12) continue;
      // keep every earlier object recognisable: reject placements that would hide too much of one
      if (placed.some((p) => p.area - overlapArea(p.visible, mask) < Math.max(12, MIN_VISIBLE * p.full))) continue;
      canvas.paintMask(mask, randomFill(rng, colorAt(canvas, cx, cy)), cx, cy);
      for (const p of placed) p.area -= subtractMask(p.visible, mask);
      if (crowd) subtractMask(crowd.mask, mask);
      placed.push({ kind, points, full, visible: mask, area: full });
      break;
    }
  }
  canvas.addNoise(rng, rng.uniform(2, 9));

  const annotations: DetAnnotation[] = [];
  if (crowd && maskArea(crowd.mask) >= 30) annotations.push(annotate(crowd.mask, crowd.category, 1, encode(crowd.mask)));
  for (const p of placed) {
    const whole = p.area === p.full;
    const segmentation = whole ? [p.points.flat()] : encode(p.visible);
    annotations.push(annotate(p.visible, SHAPES.indexOf(p.kind) + 1, 0, segmentation));
  }
  return { image: canvas.toImage(), annotations };
}

function annotate(mask: Mask, category: number, iscrowd: 0 | 1, segmentation: DetAnnotation['segmentation']): DetAnnotation {
  return { category_id: category, bbox: maskBox(mask)!, area: maskArea(mask), iscrowd, segmentation };
}

/** An object area (pixels) from COCO's small / medium / large ranges, as far as the image holds them. */
function sampleArea(rng: Random, height: number, width: number): number {
  const largest = 0.3 * height * width;
  const buckets: [number, number, number][] = [
    [0.4, 60, SMALL],
    [0.4, SMALL, MEDIUM],
    [0.2, MEDIUM, Math.min(largest, 4 * MEDIUM)],
  ].filter(([, lo, hi]) => hi > lo && lo < largest) as [number, number, number][];
  let u = rng.uniform(0, buckets.reduce((s, b) => s + b[0], 0));
  const [, lo, hi] = buckets.find((b) => (u -= b[0]) < 0) ?? buckets[buckets.length - 1];
  const top = Math.min(hi, largest);
  return Math.exp(rng.uniform(Math.log(lo), Math.log(top)));
}

/** 0-3 thick lines in random colours: structure in the background that is no object. */
function drawClutter(canvas: Canvas, rng: Random): void {
  const { height: h, width: w } = canvas;
  for (let k = rng.between(0, 3); k > 0; k--) {
    const m = emptyMask(h, w);
    drawCapsule(m, [rng.uniform(0, w), rng.uniform(0, h)], [rng.uniform(0, w), rng.uniform(0, h)], rng.uniform(0.8, 2.5));
    canvas.paintMask(m, { ...randomFill(rng), color: randomColor(rng), stripeContrast: 0 }, w / 2, h / 2);
  }
}

/** A cluster of 8-20 tiny shapes of one category, annotated as one crowd region. */
function drawCrowd(canvas: Canvas, rng: Random): { mask: Mask; category: number } {
  const { height: h, width: w } = canvas;
  const kind = rng.pick(SHAPES);
  const rh = Math.min(h, Math.round(rng.uniform(0.15, 0.35) * h + 16));
  const rw = Math.min(w, Math.round(rng.uniform(0.15, 0.35) * w + 16));
  const oy = rng.uniform(0, h - rh);
  const ox = rng.uniform(0, w - rw);
  const union = emptyMask(h, w);
  const fill = randomFill(rng, colorAt(canvas, ox + rw / 2, oy + rh / 2));
  for (let k = rng.between(8, 20); k > 0; k--) {
    const { points } = placeShape(kind, rng.uniform(20, 70), rh, rw, rng);
    const m = polygonMask(h, w, points.map(([x, y]) => [x + ox, y + oy] as Point));
    addMask(union, m);
  }
  canvas.paintMask(union, fill, ox + rw / 2, oy + rh / 2);
  return { mask: union, category: SHAPES.indexOf(kind) + 1 };
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
