import type { Random } from '../../core/random';
import type { HwcImage } from '../image-io/image';
import { Canvas, colorAt, randomFill } from './canvas';
import type { SyntheticTask } from './dataset-writer';
import { polygonMask } from './raster';
import { placeShape, SHAPES } from './shapes';

/** Classification classes: one per shape kind, indices in this order. */
export const CLS_CLASSES = SHAPES;

/**
 * One classification image: a shape of class `cls` covering 8-45% of a textured background,
 * and sometimes a much smaller shape of another class beside it as a distractor, then noise.
 */
export function drawClsImage(rng: Random, height: number, width: number, cls: number): HwcImage {
  const canvas = new Canvas(height, width);
  canvas.paintBackground(rng);
  const shapes = [{ cls, area: rng.uniform(0.08, 0.45) * height * width }];
  if (rng.chance(0.3)) shapes.unshift({ cls: (cls + rng.between(1, SHAPES.length - 1)) % SHAPES.length, area: rng.uniform(0.005, 0.02) * height * width });
  for (const s of shapes) {
    const { points, cx, cy } = placeShape(SHAPES[s.cls], s.area, height, width, rng);
    canvas.paintMask(polygonMask(height, width, points), randomFill(rng, colorAt(canvas, cx, cy)), cx, cy);
  }
  canvas.addNoise(rng, rng.uniform(2, 8));
  return canvas.toImage();
}

/**
 * The classification set in mmpretrain's layouts at once: ImageNet-style class folders
 * (`train/<class>/000000.jpg`, `val/<class>/...`) for `CustomDataset` without an annotation
 * file, and `meta/train.txt` / `meta/val.txt` lists ("<class>/<file> <label>" per line,
 * relative to the split folder) plus `meta/classes.txt` for annotation-file loading.
 * Classes take turns, so every class has the same number of images (give or take one).
 */
export function clsTask(): SyntheticTask<string> {
  return {
    name: 'cls',
    defaultSize: [64, 64],
    defaultCounts: { train: 2400, val: 600 },
    outputs: ['train', 'val', 'meta'],
    sample(rng, split, index, height, width) {
      const cls = index % CLS_CLASSES.length;
      const file = `${CLS_CLASSES[cls]}/${String(index).padStart(6, '0')}.jpg`;
      return { files: [{ path: `${split}/${file}`, image: drawClsImage(rng, height, width, cls) }], record: `${file} ${cls}` };
    },
    annotations: (split, records) => ({
      [`meta/${split}.txt`]: records.map((r) => `${r}\n`).join(''),
      ...(split === 'train' ? { 'meta/classes.txt': CLS_CLASSES.map((c) => `${c}\n`).join('') } : {}),
    }),
  };
}
