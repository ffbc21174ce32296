/**
 * COCO run-length encoding of one binary mask: column-major runs starting with zeros, as a
 * list of counts (uncompressed) or cocoapi's compressed string.
 */
export interface Rle {
  size: [number, number];
  counts: string | number[];
}

/** A polygon mask: one or more outlines, each [x1, y1, x2, y2, ...] in pixels (COCO's `segmentation`). */
export type Polygons = number[][];

/**
 * N binary masks of one image size on the host (mmdet's BitmapMasks), row-major [N, H, W]
 * uint8 with 0/1 values.
 */
export class BitmapMasks {
  constructor(
    readonly data: Uint8Array,
    readonly length: number,
    readonly height: number,
    readonly width: number,
  ) {
    if (data.length !== length * height * width) {
      throw new Error(`${length} masks of ${height}x${width} need ${length * height * width} values, got ${data.length}`);
    }
  }

  static empty(height: number, width: number): BitmapMasks {
    return new BitmapMasks(new Uint8Array(0), 0, height, width);
  }

  /** Mask i as a view [H, W]. */
  mask(i: number): Uint8Array {
    const n = this.height * this.width;
    return this.data.subarray(i * n, (i + 1) * n);
  }

  areas(): Float32Array {
    const out = new Float32Array(this.length);
    for (let i = 0; i < this.length; i++) {
      let a = 0;
      for (const v of this.mask(i)) a += v ? 1 : 0;
      out[i] = a;
    }
    return out;
  }

  index(indices: ArrayLike<number>): BitmapMasks {
    const n = this.height * this.width;
    const out = new Uint8Array(indices.length * n);
    for (let i = 0; i < indices.length; i++) out.set(this.mask(indices[i]), i * n);
    return new BitmapMasks(out, indices.length, this.height, this.width);
  }
}
