import { hostTensor, type HostTensor } from '../core/host-tensor';

/** (height, width) of an image, as mm* metas store shapes. */
export type ImageShape = readonly [number, number];
export type FlipDirection = 'horizontal' | 'vertical' | 'diagonal';

/**
 * Axis-aligned boxes on the host, x1 y1 x2 y2 per row (mmdet's HorizontalBoxes; detectron2's
 * Boxes). Transforms return new boxes; the data layer and metrics use this form, heads use
 * `TensorBoxes` on the engine.
 */
export class Boxes {
  /** Row-major [N, 4]. */
  readonly data: Float32Array;

  constructor(data: Float32Array | ArrayLike<number> = new Float32Array(0)) {
    if (data.length % 4 !== 0) throw new Error(`boxes need 4 numbers each, got ${data.length} numbers`);
    this.data = data instanceof Float32Array ? data : Float32Array.from(data);
  }

  static fromRows(rows: readonly (readonly number[])[]): Boxes {
    const data = new Float32Array(rows.length * 4);
    rows.forEach((r, i) => {
      if (r.length !== 4) throw new Error(`box ${i} has ${r.length} numbers, expected x1, y1, x2, y2`);
      data.set(r, i * 4);
    });
    return new Boxes(data);
  }

  /** COCO's [x, y, w, h] rows to x1 y1 x2 y2. */
  static fromXywh(rows: readonly (readonly number[])[]): Boxes {
    return Boxes.fromRows(rows.map(([x, y, w, h]) => [x, y, x + w, y + h]));
  }

  get length(): number {
    return this.data.length / 4;
  }

  rows(): number[][] {
    return Array.from({ length: this.length }, (_, i) => Array.from(this.data.subarray(i * 4, i * 4 + 4)));
  }

  toXywh(): number[][] {
    return this.rows().map(([x1, y1, x2, y2]) => [x1, y1, x2 - x1, y2 - y1]);
  }

  toHostTensor(): HostTensor {
    return hostTensor('float32', [this.length, 4], this.data);
  }

  areas(): Float32Array {
    const out = new Float32Array(this.length);
    for (let i = 0; i < out.length; i++) out[i] = (this.data[i * 4 + 2] - this.data[i * 4]) * (this.data[i * 4 + 3] - this.data[i * 4 + 1]);
    return out;
  }

  widths(): Float32Array {
    return this.map1((d, o) => d[o + 2] - d[o]);
  }

  heights(): Float32Array {
    return this.map1((d, o) => d[o + 3] - d[o + 1]);
  }

  /** Coordinates limited to the image: x to [0, w], y to [0, h] (mmdet's clip_). */
  clip([h, w]: ImageShape): Boxes {
    return this.mapCoords((v, k) => Math.min(Math.max(v, 0), k % 2 === 0 ? w : h));
  }

  /** x scaled by sx and y by sy (mmdet's rescale_ with scale_factor (w, h)). */
  scale(sx: number, sy: number = sx): Boxes {
    return this.mapCoords((v, k) => v * (k % 2 === 0 ? sx : sy));
  }

  translate(dx: number, dy: number): Boxes {
    return this.mapCoords((v, k) => v + (k % 2 === 0 ? dx : dy));
  }

  /** Mirror inside an image of shape (h, w), as mmdet's flip_: x' = w - x (and x1, x2 swap). */
  flip([h, w]: ImageShape, direction: FlipDirection = 'horizontal'): Boxes {
    const out = new Float32Array(this.data.length);
    for (let o = 0; o < out.length; o += 4) {
      const [x1, y1, x2, y2] = this.data.subarray(o, o + 4);
      const fx = direction !== 'vertical';
      const fy = direction !== 'horizontal';
      out[o] = fx ? w - x2 : x1;
      out[o + 1] = fy ? h - y2 : y1;
      out[o + 2] = fx ? w - x1 : x2;
      out[o + 3] = fy ? h - y1 : y2;
    }
    return new Boxes(out);
  }

  /** The boxes at `indices`, in that order. */
  index(indices: ArrayLike<number>): Boxes {
    const out = new Float32Array(indices.length * 4);
    for (let i = 0; i < indices.length; i++) out.set(this.data.subarray(indices[i] * 4, indices[i] * 4 + 4), i * 4);
    return new Boxes(out);
  }

  static cat(list: readonly Boxes[]): Boxes {
    const out = new Float32Array(list.reduce((n, b) => n + b.data.length, 0));
    let o = 0;
    for (const b of list) {
      out.set(b.data, o);
      o += b.data.length;
    }
    return new Boxes(out);
  }

  private mapCoords(f: (v: number, k: number) => number): Boxes {
    const out = new Float32Array(this.data.length);
    for (let i = 0; i < out.length; i++) out[i] = f(this.data[i], i % 4);
    return new Boxes(out);
  }

  private map1(f: (d: Float32Array, offset: number) => number): Float32Array {
    const out = new Float32Array(this.length);
    for (let i = 0; i < out.length; i++) out[i] = f(this.data, i * 4);
    return out;
  }
}
