import { TRANSFORMS } from '../../registry/registries';
import { LoadImageFromFile, loadImageFromFileSchema, type LoadImageFromFileOptions } from './load-image-from-file';
import type { Results, Transform } from './results';

/**
 * mmpose's LoadImage: LoadImageFromFile, except that an image already in the results (`img`)
 * is kept (as float32 with `to_float32`) and only sets `img_shape` and `ori_shape`.
 */
export class LoadImage implements Transform {
  private readonly fromFile: LoadImageFromFile;

  constructor(private readonly o: LoadImageFromFileOptions) {
    this.fromFile = new LoadImageFromFile(o);
  }

  async transform(results: Results): Promise<Results | null> {
    const img = results.img;
    if (!img) return this.fromFile.transform(results);
    const out = this.o.to_float32 && !(img.data instanceof Float32Array) ? { ...img, data: Float32Array.from(img.data) } : img;
    return { ...results, img: out, img_shape: [img.height, img.width], ori_shape: [img.height, img.width] };
  }
}

TRANSFORMS.register(loadImageFromFileSchema, (o: LoadImageFromFileOptions) => new LoadImage(o), {
  name: 'LoadImage',
  scope: 'mmpose',
  summary: "mmpose transform: LoadImageFromFile that keeps an image already in the results",
});
