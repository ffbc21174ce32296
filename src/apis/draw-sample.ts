import sharp from 'sharp';
import type { HostTensor } from '../core/host-tensor';
import type { HwcImage } from '../data/image-io/image';
import { Boxes } from '../structures/boxes';
import { ClsDataSample } from '../structures/cls-data-sample';
import type { DataSample } from '../structures/data-sample';
import { DetDataSample } from '../structures/det-data-sample';
import { BitmapMasks } from '../structures/masks';
import type { PixelData } from '../structures/pixel-data';
import { PoseDataSample } from '../structures/pose-data-sample';
import { SegDataSample } from '../structures/seg-data-sample';
import { boxElements, escapeXml, labelText, maskElement, paletteColor, renderOverlay, rgb, strokeSizes } from './draw-detections';

/** What the dataset's metainfo says about drawing its labels. */
export interface SampleDrawMeta {
  classes?: readonly string[];
  /** Colour per class (mmseg / mmdet `palette`). */
  palette?: readonly (readonly number[])[];
  /** mmpose keypoint pairs to join, and their colours. */
  skeleton?: readonly (readonly [number, number])[];
  skeletonColors?: readonly (readonly number[])[];
}

export interface SampleDrawOptions {
  /** The ground truth (default) or the predictions. */
  which?: 'gt' | 'pred';
  /** Predicted instances (and keypoints) scoring below this are not drawn (mmdet / mmpose 0.3). */
  scoreThr?: number;
}

/**
 * A data sample drawn over an image, as PNG bytes: boxes with class names (and scores for
 * predictions) and masks (det), keypoints and skeleton (pose; for the ground truth in the
 * input's frame, so the `transformed_keypoints` when packed), the label map at half opacity
 * (seg, and det with with_seg; 255 is not drawn) and the class name (cls). `img` is HWC uint8
 * RGB: the packed input for the ground truth, the original image for predictions.
 */
export async function drawSample(img: HwcImage, sample: DataSample, meta: SampleDrawMeta = {}, o: SampleDrawOptions = {}): Promise<Buffer> {
  const pred = o.which === 'pred';
  const thr = o.scoreThr ?? 0.3;
  const parts: string[] = [];
  const { lineWidth, fontSize } = strokeSizes(img.width, img.height);
  const colorOf = (label: number) => meta.palette?.[label] ?? paletteColor(label);
  const sem = pred ? (sample as SegDataSample).pred_sem_seg : (sample as DetDataSample | SegDataSample).gt_sem_seg;
  if (sem) parts.push(await labelMapElement(sem, colorOf, 0.5, img.width, img.height));
  const inst = pred ? (sample as DetDataSample).pred_instances : (sample as DetDataSample).gt_instances;
  if (sample instanceof DetDataSample && inst) {
    const labels = inst.labels instanceof Int32Array ? [...inst.labels] : [];
    const scores = inst.scores instanceof Float32Array ? [...inst.scores] : null;
    const keep = labels.map((_, i) => i).filter((i) => !pred || !scores || scores[i] >= thr);
    if (pred && scores) keep.sort((a, b) => scores[a] - scores[b]); // the most confident on top
    if (inst.masks instanceof BitmapMasks) for (const i of keep) parts.push(await maskElement(inst.masks, i, colorOf(labels[i] ?? 0), 0.6));
    if (inst.bboxes instanceof Boxes) {
      const rows = inst.bboxes.rows();
      for (const i of keep) {
        const name = meta.classes?.[labels[i]] ?? `class ${labels[i]}`;
        const text = pred && scores ? labelText(labels[i], scores[i], meta.classes) : name;
        parts.push(boxElements(rows[i], text, colorOf(labels[i] ?? 0), lineWidth, fontSize, img.width));
      }
    }
  }
  if (sample instanceof PoseDataSample && inst) {
    const f = inst as unknown as { transformed_keypoints?: HostTensor; keypoints?: HostTensor; keypoints_visible?: HostTensor; keypoint_scores?: HostTensor };
    const kpts = pred ? f.keypoints : (f.transformed_keypoints ?? f.keypoints);
    const visible = pred && f.keypoint_scores ? { ...f.keypoint_scores, data: Float32Array.from(f.keypoint_scores.data as Float32Array, (s) => (s > thr ? 1 : 0)) } : f.keypoints_visible;
    if (kpts) parts.push(keypointElements(kpts, visible, meta, Math.max(2, lineWidth)));
  }
  const clsLabel = sample instanceof ClsDataSample ? (pred ? sample.pred_label : sample.gt_label) : undefined;
  if (sample instanceof ClsDataSample && clsLabel) {
    const score = pred && sample.pred_score ? ` (${(Math.round(sample.pred_score[clsLabel[0]] * 1000) / 10).toFixed(1)})` : '';
    const text = [...clsLabel].map((l) => meta.classes?.[l] ?? `class ${l}`).join(', ') + score;
    parts.push(`<rect x="0" y="0" width="${Math.min(img.width, Math.ceil(text.length * fontSize * 0.62) + 4)}" height="${Math.round(fontSize * 1.3)}" fill="rgb(0,0,0)" fill-opacity="0.8"/>`);
    parts.push(`<text x="2" y="${fontSize}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}" fill="rgb(255,255,255)">${escapeXml(text)}</text>`);
  }
  return renderOverlay(img, parts, 'png');
}

/** Points (visible ones: visibility > 0) and the skeleton's links between visible points. */
function keypointElements(kpts: HostTensor, visible: HostTensor | undefined, meta: SampleDrawMeta, r: number): string {
  const [n, k] = kpts.shape;
  const d = kpts.data as Float32Array;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const at = (j: number) => [d[(i * k + j) * 2], d[(i * k + j) * 2 + 1]];
    const vis = (j: number) => (visible ? (visible.data as Float32Array)[i * k + j] > 0 : true);
    (meta.skeleton ?? []).forEach(([a, b], l) => {
      if (a >= k || b >= k || !vis(a) || !vis(b)) return;
      const [[x1, y1], [x2, y2]] = [at(a), at(b)];
      out.push(`<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${rgb(meta.skeletonColors?.[l] ?? [0, 255, 0])}" stroke-width="${Math.max(1, r / 2)}"/>`);
    });
    for (let j = 0; j < k; j++) {
      if (!vis(j)) continue;
      const [x, y] = at(j);
      out.push(`<circle cx="${x}" cy="${y}" r="${r}" fill="${rgb(paletteColor(j))}"/>`);
    }
  }
  return out.join('');
}

/**
 * The label map as one translucent RGBA image over the whole picture (255, ignored, left clear).
 * A map of another size (mmseg's test pipelines load it after the resize, at the original size)
 * is stretched over the image with nearest sampling.
 */
async function labelMapElement(seg: PixelData, colorOf: (label: number) => readonly number[], alpha: number, width: number, height: number): Promise<string> {
  const { height: h, width: w } = seg;
  const labels = seg.array;
  const rgba = new Uint8Array(h * w * 4);
  const a = Math.round(alpha * 255);
  for (let i = 0; i < h * w; i++) {
    const l = labels[i];
    if (l === 255) continue;
    const c = colorOf(l);
    rgba.set([c[0], c[1], c[2], a], i * 4);
  }
  let overlay = sharp(Buffer.from(rgba.buffer), { raw: { width: w, height: h, channels: 4 } });
  if (w !== width || h !== height) overlay = overlay.resize(width, height, { kernel: 'nearest', fit: 'fill' });
  const png = await overlay.png().toBuffer();
  return `<image x="0" y="0" width="${width}" height="${height}" href="data:image/png;base64,${png.toString('base64')}"/>`;
}
