import { readFileSync } from 'node:fs';
import { z, type ZodError } from 'zod';
import { FileError, UserError } from '../core/errors';
import type { HostTensor } from '../core/host-tensor';
import { BitmapMasks } from '../structures/masks';
import { Boxes } from '../structures/boxes';
import { DetDataSample } from '../structures/det-data-sample';
import { InstanceData } from '../structures/instance-data';

const pair = z.tuple([z.number().positive(), z.number().positive()]);

/** One image's metainfo as mmdetection's data samples carry it (other keys are kept as they are). */
const imgMeta = z
  .object({
    img_shape: pair,
    pad_shape: pair.optional(),
    batch_input_shape: pair.optional(),
    ori_shape: pair.optional(),
    /** (w, h), as mmdetection */
    scale_factor: pair.optional(),
  })
  .passthrough();

const box = z.tuple([z.number(), z.number(), z.number(), z.number()], { errorMap: () => ({ message: 'expected [x1, y1, x2, y2] (4 numbers)' }) });

/** One image's ground truth: boxes in the padded-input frame, 0-based labels, optional ignore flags (1: a crowd region). */
const imageGt = z
  .object({
    bboxes: z.array(box),
    labels: z.array(z.number().int().nonnegative()),
    ignore_flags: z.array(z.union([z.boolean(), z.literal(0), z.literal(1)])).optional(),
    /** Mask models: the name of a U8 tensor [n, H, W] of 0/1 bitmap masks in the --input file. */
    masks: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((g, ctx) => {
    if (g.labels.length !== g.bboxes.length) ctx.addIssue({ code: 'custom', path: ['labels'], message: `${g.labels.length} labels for ${g.bboxes.length} boxes` });
    if (g.ignore_flags && g.ignore_flags.length !== g.bboxes.length) {
      ctx.addIssue({ code: 'custom', path: ['ignore_flags'], message: `${g.ignore_flags.length} flags for ${g.bboxes.length} boxes` });
    }
  });

/** The tensors of the --input file, where `masks` names are looked up. */
export interface MaskSource {
  file: string;
  tensors: ReadonlyMap<string, HostTensor>;
}

/**
 * Detection samples of a batch of `batch` images from two JSON files: `metasFile` a list of
 * per-image metainfo (`img_shape`, `pad_shape`, `batch_input_shape`, ...), `gtFile` a list of
 * `{bboxes, labels, ignore_flags?, masks?}` (`masks` naming a U8 [n, H, W] tensor of `source`).
 * Flagged boxes become `ignored_instances`, the rest `gt_instances`, each with its masks
 * (mmdetection's PackDetInputs). Errors name the file and the field.
 */
export function readDetSamples(metasFile: string, gtFile: string | null, batch: number, source?: MaskSource): DetDataSample[] {
  const metas = parseFile(metasFile, z.array(imgMeta), batch);
  const gts = gtFile ? parseFile(gtFile, z.array(imageGt), batch) : null;
  return metas.map((m, i) => {
    const s = new DetDataSample(m as Record<string, unknown>);
    if (!gts) return s;
    const g = gts[i];
    const flags = g.ignore_flags?.map((f) => f === true || f === 1) ?? g.bboxes.map(() => false);
    const masks = g.masks === undefined ? null : gtMasks(g.masks, g.bboxes.length, `${gtFile}: [${i}].masks`, source);
    const pick = (ignored: boolean) => {
      const idx = flags.flatMap((f, k) => (f === ignored ? [k] : []));
      const inst = new InstanceData({ bboxes: Boxes.fromRows(idx.map((k) => g.bboxes[k])), labels: Int32Array.from(idx, (k) => g.labels[k]) });
      if (masks) inst.masks = masks.index(idx);
      return inst;
    };
    s.gt_instances = pick(false);
    if (flags.some((f) => f)) s.ignored_instances = pick(true);
    return s;
  });
}

/** The bitmap masks tensor `name` of the input file: U8 [n, H, W] with one mask per box. */
function gtMasks(name: string, boxes: number, where: string, source: MaskSource | undefined): BitmapMasks {
  const t = source?.tensors.get(name);
  if (!source || !t) throw new UserError(`${where}: no tensor '${name}' in the --input file${source ? ` ${source.file}` : ''}`);
  if (t.dtype !== 'uint8' || t.shape.length !== 3 || t.shape[0] !== boxes) {
    throw new UserError(`${where}: '${name}' in ${source.file} is ${t.dtype} [${t.shape.join(', ')}], expected uint8 (U8) [${boxes}, H, W] (one mask per box)`);
  }
  const data = t.data as Uint8Array;
  if (data.some((v) => v > 1)) throw new UserError(`${where}: '${name}' in ${source.file} holds values other than 0 and 1`);
  return new BitmapMasks(Uint8Array.from(data), t.shape[0], t.shape[1], t.shape[2]);
}

function parseFile<T extends z.ZodTypeAny>(file: string, schema: T, batch: number): z.output<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new FileError(file, `cannot read it as JSON (${(e as Error).message})`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new FileError(file, describeIssue(parsed.error));
  const list = parsed.data as unknown[];
  if (list.length !== batch) throw new FileError(file, `holds ${list.length} images but the input batch has ${batch}`);
  return parsed.data;
}

/** `[1].bboxes[2]: expected ...` for the first problem. */
function describeIssue(err: ZodError): string {
  const issue = err.issues[0];
  const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '');
  const what = issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}` : issue.message;
  return where ? `${where}: ${what}` : what;
}
