import { z } from 'zod';
import { DATASETS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { BaseSegDataset, baseSegDatasetSchema, segDatasetConfig, type BaseSegDatasetOptions, type SegMetainfo } from './base-seg-dataset';

export const cityscapesDatasetSchema = baseSegDatasetSchema.extend({
  img_suffix: z.string().default('_leftImg8bit.png'),
  seg_map_suffix: z.string().default('_gtFine_labelTrainIds.png'),
});

/**
 * mmseg's CityscapesDataset: a BaseSegDataset with Cityscapes' 19 training classes and their
 * palette, images `*_leftImg8bit.png` and label maps `*_gtFine_labelTrainIds.png` (train ids,
 * 255 = ignore, as cityscapesscripts' createTrainIdLabelImgs writes them).
 */
export class CityscapesDataset extends BaseSegDataset {
  static override readonly METAINFO: SegMetainfo = {
    classes: ['road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light', 'traffic sign', 'vegetation', 'terrain', 'sky', 'person', 'rider', 'car', 'truck', 'bus', 'train', 'motorcycle', 'bicycle'],
    palette: [
      [128, 64, 128], [244, 35, 232], [70, 70, 70], [102, 102, 156], [190, 153, 153], [153, 153, 153], [250, 170, 30],
      [220, 220, 0], [107, 142, 35], [152, 251, 152], [70, 130, 180], [220, 20, 60], [255, 0, 0], [0, 0, 142],
      [0, 0, 70], [0, 60, 100], [0, 80, 100], [0, 0, 230], [119, 11, 32],
    ],
  };
}

DATASETS.register(cityscapesDatasetSchema, (o: BaseSegDatasetOptions, ctx: BuildContext) => new CityscapesDataset(segDatasetConfig(o, ctx), ctx), {
  name: 'CityscapesDataset',
  scope: 'mmseg',
  summary: "mmseg's CityscapesDataset (19 train-id classes, _leftImg8bit.png / _gtFine_labelTrainIds.png), as mmseg.CityscapesDataset",
});
