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
import { boxElements, escapeXml, maskElement, paletteColor, renderOverlay, rgb, strokeSizes } from './draw-detections';

/** What the dataset's metainfo says about drawing its labels. */
export interface SampleDrawMeta {
  classes?: readonly string[];
  /** Colour per class (mmseg / mmdet `palette`). */
  palette?: readonly (readonly number[])[];
  /** mmpose keypoint pairs to join, and their colours. */
  skeleton?: readonly (readonly [number, number])[];
  skeletonColors?: readonly (readonly number[])[];
}

/**
 * The ground truth of a packed sample drawn over its input image, as PNG bytes: boxes with
 * class names and masks (det), keypoints and skeleton (pose; in the input's frame, so the
 * `transformed_keypoints` when packed), the label map at half opacity (seg, and det with
 * with_seg; 255 is not drawn) and the class name (cls). `img` is HWC uint8 RGB.
 */
export async function drawSample(img: HwcImage, sample: DataSample, meta: SampleDrawMeta = {}): Promise<Buffer> {
  const parts: string[] = [];
  const { lineWidth, fontSize } = strokeSizes(img.width, img.height);
  const colorOf = (label: number) => meta.palette?.[label] ?? paletteColor(label);
  const sem = (sample as DetDataSample | SegDataSample).gt_sem_seg;
  if (sem) parts.push(await labelMapElement(sem, colorOf, 0.5, img.width, img.height));
  if (sample instanceof DetDataSample && sample.gt_instances) {
    const gt = sample.gt_instances;
    const labels = gt.labels instanceof Int32Array ? [...gt.labels] : [];
    if (gt.masks instanceof BitmapMasks) for (let i = 0; i < gt.masks.length; i++) parts.push(await maskElement(gt.masks, i, colorOf(labels[i] ?? 0), 0.6));
    if (gt.bboxes instanceof Boxes) {
      gt.bboxes.rows().forEach((b, i) => parts.push(boxElements(b, meta.classes?.[labels[i]] ?? `class ${labels[i]}`, colorOf(labels[i] ?? 0), lineWidth, fontSize, img.width)));
    }
  }
  if (sample instanceof PoseDataSample && sample.gt_instances) {
    const gt = sample.gt_instances as unknown as { transformed_keypoints?: HostTensor; keypoints?: HostTensor; keypoints_visible?: HostTensor };
    const kpts = gt.transformed_keypoints ?? gt.keypoints;
    if (kpts) parts.push(keypointElements(kpts, gt.keypoints_visible, meta, Math.max(2, lineWidth)));
  }
  if (sample instanceof ClsDataSample && sample.gt_label) {
    const text = [...sample.gt_label].map((l) => meta.classes?.[l] ?? `class ${l}`).join(', ');
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
