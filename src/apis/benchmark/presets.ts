import { UserError } from '../../core/errors';

/** A named comparison: its configs, and what the report says it reproduces. */
export interface BenchmarkPreset {
  name: string;
  description: string;
  configs: string[];
}

export const PRESETS: Record<string, BenchmarkPreset> = {
  'hrnet-vs-resnet': {
    name: 'hrnet-vs-resnet',
    description:
      "The HRNetV2p papers' detection comparison: Faster R-CNN with HRNetV2p-W18 / W32 (HRFPN) against ResNet-50 / ResNet-101 with FPN, 1x configs",
    configs: [
      'configs/hrnet/faster-rcnn_hrnetv2p-w18-1x_coco.json',
      'configs/hrnet/faster-rcnn_hrnetv2p-w32-1x_coco.json',
      'configs/faster_rcnn/faster-rcnn_r50_fpn_1x_coco.json',
      'configs/faster_rcnn/faster-rcnn_r101_fpn_1x_coco.json',
    ],
  },
};

export function preset(name: string): BenchmarkPreset {
  const p = PRESETS[name];
  if (!p) throw new UserError(`unknown benchmark preset '${name}': expected ${Object.keys(PRESETS).join(', ')}`);
  return p;
}
