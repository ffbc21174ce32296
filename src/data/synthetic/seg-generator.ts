import type { Random } from '../../core/random';
import type { HwcImage } from '../image-io/image';
import { Canvas, colorAt, randomFill } from './canvas';
import type { SyntheticTask } from './dataset-writer';
import { polygonMask } from './raster';
import { placeShape, SHAPES } from './shapes';

/** Segmentation classes: background (0), then one class per shape kind. */
export const SEG_CLASSES = ['background', ...SHAPES] as const;
/** A colour per class (for drawing label maps), as mmseg's METAINFO palette. */
export const SEG_PALETTE = [[0, 0, 0], [220, 20, 60], [0, 130, 200], [60, 180, 75], [255, 225, 25], [145, 30, 180], [245, 130, 48]];

/**
 * One segmentation image and its label map: a textured background (class 0) and 3-10 shapes
 * of random class, size and look, later ones over earlier ones; the label of a pixel is the
 * class of the shape seen there. Noise is added to the image only.
 */
export function drawSegImage(rng: Random, height: number, width: number): { image: HwcImage; labels: HwcImage } {
  const canvas = new Canvas(height, width);
  canvas.paintBackground(rng);
  const labels = new Uint8Array(height * width);
  for (let n = rng.between(3, 10); n > 0; n--) {
    const cls = rng.between(1, SHAPES.length);
    const area = Math.exp(rng.uniform(Math.log(0.002), Math.log(0.2))) * height * width;
    const { points, cx, cy } = placeShape(SHAPES[cls - 1], area, height, width, rng);
    const mask = polygonMask(height, width, points);
    canvas.paintMask(mask, randomFill(rng, colorAt(canvas, cx, cy)), cx, cy);
    for (let i = mask.y0 * width; i < mask.y1 * width; i++) if (mask.data[i]) labels[i] = cls;
  }
  canvas.addNoise(rng, rng.uniform(2, 8));
  return { image: canvas.toImage(), labels: { data: labels, height, width, channels: 1, order: 'gray' } };
}

/**
 * The segmentation set in mmseg's layout: `img_dir/{train,val}/000000.jpg` and
 * `ann_dir/{train,val}/000000.png` (one-channel label maps holding class indices; mmseg's
 * `img_suffix='.jpg'`, `seg_map_suffix='.png'`, no `reduce_zero_label`), and `classes.json`
 * with the class names and palette.
 */
export function segTask(): SyntheticTask<null> {
  return {
    name: 'seg',
    defaultSize: [256, 256],
    defaultCounts: { train: 1000, val: 200 },
    outputs: ['img_dir', 'ann_dir', 'classes.json'],
    sample(rng, split, index, height, width) {
      const { image, labels } = drawSegImage(rng, height, width);
      const stem = String(index).padStart(6, '0');
      return { files: [{ path: `img_dir/${split}/${stem}.jpg`, image }, { path: `ann_dir/${split}/${stem}.png`, image: labels }], record: null };
    },
    annotations: (split): Record<string, string> => (split === 'train' ? { 'classes.json': `${JSON.stringify({ classes: SEG_CLASSES, palette: SEG_PALETTE }, null, 1)}\n` } : {}),
  };
}
