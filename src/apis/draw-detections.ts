import sharp from 'sharp';
import type { HwcImage } from '../data/image-io/image';
import type { BitmapMasks } from '../structures/masks';

/** Detections of one image as host values, in the image's own pixel frame. */
export interface DrawnDetections {
  bboxes: readonly (readonly number[])[];
  labels: readonly number[];
  scores: readonly number[];
  masks?: BitmapMasks;
}

export interface DrawOptions {
  /** Class names by label; labels beyond the list are drawn as `class <label>` (mmdet's fallback). */
  classes?: readonly string[];
  /** Instances scoring below this are not drawn (mmdet's `pred_score_thr`, default 0.3). */
  scoreThr?: number;
  /** Opacity of the mask fill (mmdet's DetLocalVisualizer alpha 0.8). */
  maskAlpha?: number;
  /** JPEG quality of the result. */
  quality?: number;
  /** PNG or JPEG (default). */
  format?: 'jpeg' | 'png';
  /** False: class names alone (ground truth has no scores). */
  showScores?: boolean;
}

/**
 * The image with boxes, `class: score` labels and translucent masks drawn, as JPEG bytes.
 * Everything drawn is one SVG overlay (rects, text, each mask a PNG `<image>`) that sharp
 * renders and composites: the text is set by the SVG renderer, not by hand.
 * `img` is HWC uint8 RGB (or gray, one channel).
 */
export async function drawDetections(img: HwcImage, det: DrawnDetections, o: DrawOptions = {}): Promise<Buffer> {
  const { width, height } = img;
  const keep = det.scores.map((s, i) => [s, i] as const).filter(([s]) => s >= (o.scoreThr ?? 0.3));
  // lowest score first, so the most confident instance ends up on top
  keep.sort((a, b) => a[0] - b[0]);
  const parts: string[] = [];
  for (const [, i] of keep) if (det.masks) parts.push(await maskElement(det.masks, i, paletteColor(det.labels[i]), o.maskAlpha ?? 0.8));
  // at least 2 px: JPEG chroma subsampling washes out a 1 px coloured line
  const { lineWidth, fontSize } = strokeSizes(width, height);
  for (const [score, i] of keep) {
    const text = o.showScores === false ? (o.classes?.[det.labels[i]] ?? `class ${det.labels[i]}`) : labelText(det.labels[i], score, o.classes);
    parts.push(boxElements(det.bboxes[i], text, paletteColor(det.labels[i]), lineWidth, fontSize, width));
  }
  return renderOverlay(img, parts, o.format ?? 'jpeg', o.quality);
}

/** Line width and font size that read well at the image's size. */
export function strokeSizes(width: number, height: number): { lineWidth: number; fontSize: number } {
  return { lineWidth: Math.max(2, Math.round(Math.min(width, height) / 200)), fontSize: Math.max(8, Math.min(18, Math.round(Math.min(width, height) / 25))) };
}

/** The image with SVG elements composited over it, encoded as JPEG or PNG. */
export async function renderOverlay(img: HwcImage, parts: readonly string[], format: 'jpeg' | 'png', quality = 95): Promise<Buffer> {
  const { width, height } = img;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
  const base = sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width, height, channels: img.channels as 1 | 3 | 4 } });
  const out = base.composite([{ input: Buffer.from(svg), top: 0, left: 0 }]);
  return format === 'png' ? out.png().toBuffer() : out.jpeg({ quality }).toBuffer();
}

/** mmdet's label text: the class name (or `class <label>`), then the score in percent with one decimal. */
export function labelText(label: number, score: number, classes?: readonly string[]): string {
  const name = classes?.[label] ?? `class ${label}`;
  return `${name}: ${(Math.round(score * 1000) / 10).toFixed(1)}`;
}

/** A distinct, stable colour per label: hues spread by the golden angle. */
export function paletteColor(label: number): [number, number, number] {
  const h = (label * 137.508) % 360;
  const [s, v] = [0.75, 0.95];
  const c = v * s;
  const x = c * (1 - Math.abs(((h / 60) % 2) - 1));
  const m = v - c;
  const [r, g, b] = h < 60 ? [c, x, 0] : h < 120 ? [x, c, 0] : h < 180 ? [0, c, x] : h < 240 ? [0, x, c] : h < 300 ? [x, 0, c] : [c, 0, x];
  return [r, g, b].map((u) => Math.round((u + m) * 255)) as [number, number, number];
}

export const rgb = ([r, g, b]: readonly number[]) => `rgb(${r},${g},${b})`;

export function boxElements(box: readonly number[], text: string, color: readonly number[], lineWidth: number, fontSize: number, imgWidth: number): string {
  const [x1, y1, x2, y2] = box.map((v) => Math.round(v * 10) / 10);
  const rect = `<rect x="${x1}" y="${y1}" width="${Math.max(0, x2 - x1)}" height="${Math.max(0, y2 - y1)}" fill="none" stroke="${rgb(color)}" stroke-width="${lineWidth}"/>`;
  // the label sits above the box, or inside it at the top when the box touches the top edge
  const textH = Math.round(fontSize * 1.3);
  const ty = y1 - textH >= 0 ? y1 - textH : Math.max(0, y1);
  const tw = Math.min(imgWidth, Math.ceil(text.length * fontSize * 0.62) + 4);
  const tx = Math.max(0, Math.min(x1, imgWidth - tw));
  const bg = `<rect x="${tx}" y="${ty}" width="${tw}" height="${textH}" fill="rgb(0,0,0)" fill-opacity="0.8"/>`;
  const label = `<text x="${tx + 2}" y="${ty + fontSize}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}" fill="${rgb(color)}">${escapeXml(text)}</text>`;
  return rect + bg + label;
}

/** Mask i as an RGBA PNG of its bounding region, filled with the colour at `alpha`. */
export async function maskElement(masks: BitmapMasks, i: number, color: readonly number[], alpha: number): Promise<string> {
  const m = masks.mask(i);
  const { width: w, height: h } = masks;
  let [x0, y0, x1, y1] = [w, h, -1, -1];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!m[y * w + x]) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (x1 < 0) return '';
  const [cw, ch] = [x1 - x0 + 1, y1 - y0 + 1];
  const rgba = new Uint8Array(cw * ch * 4);
  const a = Math.round(alpha * 255);
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      if (!m[(y + y0) * w + x + x0]) continue;
      rgba.set([color[0], color[1], color[2], a], (y * cw + x) * 4);
    }
  }
  const png = await sharp(Buffer.from(rgba.buffer), { raw: { width: cw, height: ch, channels: 4 } }).png().toBuffer();
  return `<image x="${x0}" y="${y0}" width="${cw}" height="${ch}" href="data:image/png;base64,${png.toString('base64')}"/>`;
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}
