import { UserError } from '../../core/errors';
import type { HostTensor } from '../../core/host-tensor';
import { Boxes } from '../../structures/boxes';
import { ClsDataSample } from '../../structures/cls-data-sample';
import type { DataSample } from '../../structures/data-sample';
import { DetDataSample } from '../../structures/det-data-sample';
import { BitmapMasks } from '../../structures/masks';
import { encodeMask } from '../../structures/mask';
import { PoseDataSample } from '../../structures/pose-data-sample';
import { SegDataSample } from '../../structures/seg-data-sample';
import type { ClsMetricSample } from './cls-metric-sample';
import type { DetMetricSample } from './det-metric-sample';
import type { PoseMetricSample } from './pose-metric-sample';
import type { SegMetricSample } from './seg-metric-sample';

export type MetricSample = DetMetricSample | PoseMetricSample | SegMetricSample | ClsMetricSample;

/**
 * A predicted data sample as the metrics read it (mmengine hands metrics `data_sample.to_dict()`):
 * plain host values, boxes as rows, masks as RLE. The sample must hold host data — what
 * `predict` mode returns.
 */
export function metricSampleOf(s: DataSample): MetricSample {
  if (s instanceof DetDataSample) return detSample(s);
  if (s instanceof PoseDataSample) return poseSample(s);
  if (s instanceof SegDataSample) return segSample(s);
  if (s instanceof ClsDataSample) return clsSample(s);
  throw new UserError(`no metric reads a ${s.constructor.name}`);
}

function missing(s: DataSample, field: string): never {
  throw new UserError(`image ${String(s.metainfo.img_path ?? s.metainfo.img_id ?? '?')}: the prediction has no '${field}' (run the model in 'predict' mode)`);
}

function detSample(s: DetDataSample): DetMetricSample {
  const p = s.pred_instances ?? missing(s, 'pred_instances');
  const boxes = p.bboxes instanceof Boxes ? p.bboxes : missing(s, 'pred_instances.bboxes (on the host)');
  const masks = p.masks instanceof BitmapMasks ? Array.from({ length: p.masks.length }, (_, i) => encodeMask((p.masks as BitmapMasks).mask(i), (p.masks as BitmapMasks).height, (p.masks as BitmapMasks).width)) : undefined;
  return {
    img_id: Number(s.metainfo.img_id),
    ...(s.metainfo.ori_shape ? { ori_shape: s.metainfo.ori_shape } : {}),
    pred_instances: {
      bboxes: boxes.rows(),
      scores: [...hostArray(p.scores, s, 'scores')],
      labels: [...hostArray(p.labels, s, 'labels')],
      ...(masks ? { masks } : {}),
    },
  };
}

function poseSample(s: PoseDataSample): PoseMetricSample {
  const p = s.pred_instances ?? missing(s, 'pred_instances');
  const kpts = p.keypoints ?? missing(s, 'pred_instances.keypoints');
  const scores = p.keypoint_scores ?? missing(s, 'pred_instances.keypoint_scores');
  const [n, k] = kpts.shape;
  const rows = (t: HostTensor, i: number, w: number) => Array.from({ length: k }, (_, j) => Array.from(t.data.subarray((i * k + j) * w, (i * k + j + 1) * w) as Float32Array));
  const meta = s.metainfo as Record<string, unknown>;
  return {
    id: Number(meta.id),
    img_id: Number(meta.img_id),
    ...(meta.category_id === undefined ? {} : { category_id: Number(meta.category_id) }),
    pred_instances: {
      keypoints: Array.from({ length: n }, (_, i) => rows(kpts, i, 2)),
      keypoint_scores: Array.from({ length: n }, (_, i) => Array.from(scores.data.subarray(i * k, (i + 1) * k) as Float32Array)),
      ...(p.bbox_scores ? { bbox_scores: [...p.bbox_scores] } : {}),
    },
  };
}

function segSample(s: SegDataSample): SegMetricSample {
  const pred = s.pred_sem_seg ?? missing(s, 'pred_sem_seg');
  const gt = s.gt_sem_seg ?? missing(s, 'gt_sem_seg');
  return { pred_sem_seg: pred.array as SegMetricSample['pred_sem_seg'], gt_sem_seg: gt.array as SegMetricSample['gt_sem_seg'], width: pred.width, height: pred.height };
}

function clsSample(s: ClsDataSample): ClsMetricSample {
  const gt = s.gt_label ?? missing(s, 'gt_label');
  return {
    gt_label: gt[0],
    ...(s.pred_score ? { pred_score: [...s.pred_score] } : {}),
    ...(s.pred_label ? { pred_label: s.pred_label[0] } : {}),
  };
}

function hostArray(v: unknown, s: DataSample, field: string): Float32Array | Int32Array {
  if (v instanceof Float32Array || v instanceof Int32Array) return v;
  return missing(s, `pred_instances.${field} (on the host)`);
}
