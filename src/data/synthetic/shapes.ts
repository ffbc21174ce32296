import type { Random } from '../../core/random';
import { polygonArea, polygonExtent, type Point } from './raster';

/** The shape categories of the synthetic detection, segmentation and classification sets. */
export const SHAPES = ['circle', 'ellipse', 'rectangle', 'triangle', 'star', 'cross'] as const;
export type ShapeKind = (typeof SHAPES)[number];

/**
 * A random instance of `kind` as a polygon around the origin with unit scale: proportions
 * (ellipse and rectangle aspect, triangle angles, star depth, cross arm width) and rotation
 * vary per instance, but each kind keeps what tells it apart (an ellipse is clearly longer
 * than wide, a star has five deep points, a cross four square arms).
 */
function unitShape(kind: ShapeKind, rng: Random): Point[] {
  switch (kind) {
    case 'circle':
      return ellipsePoints(1, 1);
    case 'ellipse':
      return ellipsePoints(1, rng.uniform(0.4, 0.62));
    case 'rectangle': {
      const a = rng.uniform(0.45, 1);
      return [
        [-1, -a],
        [1, -a],
        [1, a],
        [-1, a],
      ];
    }
    case 'triangle': {
      const base = -Math.PI / 2;
      return [0, 1, 2].map((k) => {
        const t = base + (2 * Math.PI * k) / 3 + rng.uniform(-0.35, 0.35);
        return [Math.cos(t), Math.sin(t)] as Point;
      });
    }
    case 'star': {
      const inner = rng.uniform(0.38, 0.5);
      return Array.from({ length: 10 }, (_, k) => {
        const r = k % 2 ? inner : 1;
        const t = -Math.PI / 2 + (Math.PI * k) / 5;
        return [r * Math.cos(t), r * Math.sin(t)] as Point;
      });
    }
    case 'cross': {
      const a = rng.uniform(0.28, 0.4);
      return [
        [-a, -1], [a, -1], [a, -a], [1, -a], [1, a], [a, a],
        [a, 1], [-a, 1], [-a, a], [-1, a], [-1, -a], [-a, -a],
      ];
    }
  }
}

function ellipsePoints(rx: number, ry: number, n = 40): Point[] {
  return Array.from({ length: n }, (_, k) => {
    const t = (2 * Math.PI * k) / n;
    return [rx * Math.cos(t), ry * Math.sin(t)] as Point;
  });
}

/**
 * A random `kind` polygon of about `area` square pixels, rotated at random and placed so that
 * it lies inside a height x width image (shrunk if it could not fit). Returns the vertices in
 * image coordinates and its centre.
 */
export function placeShape(
  kind: ShapeKind,
  area: number,
  height: number,
  width: number,
  rng: Random,
): { points: Point[]; cx: number; cy: number } {
  const unit = unitShape(kind, rng);
  const angle = kind === 'circle' ? 0 : rng.uniform(0, 2 * Math.PI);
  const [c, s] = [Math.cos(angle), Math.sin(angle)];
  const scale = Math.sqrt(area / polygonArea(unit));
  let rotated = unit.map(([x, y]) => [scale * (c * x - s * y), scale * (s * x + c * y)] as Point);
  let [x0, y0, x1, y1] = polygonExtent(rotated);
  const fit = Math.min(1, (width - 2) / (x1 - x0), (height - 2) / (y1 - y0));
  if (fit < 1) {
    rotated = rotated.map(([x, y]) => [x * fit, y * fit] as Point);
    [x0, y0, x1, y1] = [x0 * fit, y0 * fit, x1 * fit, y1 * fit];
  }
  const cx = rng.uniform(1 - x0, width - 1 - x1);
  const cy = rng.uniform(1 - y0, height - 1 - y1);
  return { points: rotated.map(([x, y]) => [x + cx, y + cy] as Point), cx, cy };
}
