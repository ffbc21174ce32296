import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import type { Container } from 'inversify';
import { ConfigError, FileError, UserError } from '../core/errors';
import { withEngine } from '../core/engine-context';
import { getAt, type ConfigObject } from '../config';
import { COCO_CLASSES } from '../data/datasets/coco-classes';
import { readImage } from '../data/image-io/decode-image';
import { Compose } from '../data/transforms/compose';
import type { Results, Transform } from '../data/transforms/results';
import { initBackend } from '../engines/tfjs/backend';
import { writeFileAtomic } from '../io/atomic-write';
import type { BaseModel } from '../models/base-model';
import type { DataBatch } from '../models/data-preprocessors/data-preprocessor';
import { DetDataPreprocessor } from '../models/data-preprocessors/det-data-preprocessor';
import { TopdownPoseEstimator } from '../models/pose/topdown-pose-estimator';
import { BuildContext } from '../registry/build-context';
import { defaultContainer } from '../registry/container';
import { TRANSFORMS } from '../registry/registries';
import { SERVICES, type Logger, type Progress, type ProgressBar } from '../registry/services';
import { Boxes } from '../structures/boxes';
import type { DetDataSample } from '../structures/det-data-sample';
import { encodeMask, rleToCoco } from '../structures/mask';
import { BitmapMasks } from '../structures/masks';
import { preprocess } from '../training/runner/train-step';
import { buildModel } from './build-model';
import { drawDetections } from './draw-detections';
import { tfjsEngine } from './forward';
import { sessionFor } from '../runtime/onnx-forward';
import { describeProvider } from '../runtime/onnx-model';
import type { HostTensor } from '../core/host-tensor';
import { InstanceData } from '../structures/instance-data';
import { loadWeights, type LoadWeightsResult } from './load-weights';

/** mmcv's IMG_EXTENSIONS: the files a folder input contributes (not recursive, as mmdet lists them). */
export const IMG_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp'] as const;

/** mmdet's default test pipeline (configs/_base_/datasets/coco_detection.py) without annotations. */
export const DEFAULT_TEST_PIPELINE: readonly Record<string, unknown>[] = [
  { type: 'LoadImageFromFile' },
  { type: 'Resize', scale: [1333, 800], keep_ratio: true },
  { type: 'PackDetInputs', meta_keys: ['img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'] },
];

export interface InferOptions {
  checkpoint?: string;
  /** Where `preds/` and `vis/` go (default `outputs`). */
  outDir?: string;
  /** Instances below this score are not drawn (mmdet's `pred_score_thr`); the JSON holds them all. */
  scoreThr?: number;
  batchSize?: number;
  /** Draw `vis/<stem>.jpg` (default true). */
  draw?: boolean;
  /** tfjs backend (default: the first that works). */
  backend?: string;
  /**
   * 'tfjs' (default): the model's eager `predict`; 'onnx': its exported graph on onnxruntime
   * (traced once per padded batch shape), masks pasted on the host as `predict` pastes them.
   */
  engine?: 'tfjs' | 'onnx';
  cfgOptions?: string[];
  plugins?: string[];
  container?: Container;
}

/** mmdet DetInferencer's `pred2dict`: plain lists, masks as COCO RLE with string counts. */
export interface DetPrediction {
  labels: number[];
  scores: number[];
  bboxes: number[][];
  masks?: { size: [number, number]; counts: string }[];
}

export interface InferredImage {
  image: string;
  /** `<out>/preds/<stem>.json`. */
  pred: string;
  /** `<out>/vis/<stem>.jpg` unless drawing was switched off. */
  vis?: string;
  prediction: DetPrediction;
}

export interface InferResult {
  /** What ran the model: `tfjs (wasm)`, ... */
  engine: string;
  weights?: LoadWeightsResult;
  images: InferredImage[];
}

/**
 * mmdetection's DetInferencer (demo/image_demo.py): every image through the config's test
 * pipeline (annotation loading dropped) and the model's data preprocessor, `predict` mode, and
 * per image `preds/<stem>.json` (DetInferencer's format, original-image coordinates, every
 * prediction) and `vis/<stem>.jpg` (instances scoring at least `scoreThr` drawn). Inputs are
 * checked before anything is written, and every output file is written atomically.
 */
export async function infer(configPath: string, inputs: readonly string[], o: InferOptions = {}): Promise<InferResult> {
  const container = o.container ?? (defaultContainer() as Container);
  const logger = container.get<Logger>(SERVICES.Logger);
  const batchSize = o.batchSize ?? 1;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UserError(`--batch-size must be a positive integer, got ${batchSize}`);
  const { files, fromFolder } = listImages(inputs);
  const backend = await initBackend(o.backend);
  const { model, config } = await buildModel(configPath, { cfgOptions: o.cfgOptions, plugins: o.plugins, container, initWeights: !o.checkpoint });
  checkDetector(model, configPath);
  const weights = o.checkpoint ? await loadWeights(model, o.checkpoint) : undefined;
  if (!o.checkpoint) logger.warn(`no --checkpoint given: ${model.typeName} runs with random weights, its detections mean nothing`);
  const pipeline = buildTestPipeline(config, container, configPath);
  const classes = classNames(config);
  // a corrupt image fails here, before any output exists
  for (const f of files) await readImage(f);
  const outDir = o.outDir ?? 'outputs';
  mkdirSync(join(outDir, 'preds'), { recursive: true });
  if (o.draw !== false) mkdirSync(join(outDir, 'vis'), { recursive: true });
  const bar: ProgressBar | null = fromFolder ? container.get<Progress>(SERVICES.Progress).start('infer', files.length) : null;
  const onnx = o.engine === 'onnx';
  if (onnx) checkExportable(model, configPath);
  let engine = `tfjs (${backend.name})`;
  const images: InferredImage[] = [];
  try {
    for (let start = 0; start < files.length; start += batchSize) {
      const chunk = files.slice(start, start + batchSize);
      const batch = await loadBatch(pipeline, chunk, start);
      let preds: DetDataSample[];
      if (onnx) {
        const r = await predictBatchOnnx(model, batch);
        preds = r.samples;
        engine = r.engine;
      } else preds = predictBatch(model, batch);
      for (let i = 0; i < chunk.length; i++) {
        images.push(await writeOutputs(chunk[i], preds[i], { outDir, classes, scoreThr: o.scoreThr ?? 0.3, draw: o.draw !== false }));
        bar?.tick(1, basename(chunk[i]));
      }
    }
  } finally {
    bar?.stop();
  }
  return { engine, weights, images };
}

/** Every image named, folders expanded to their image files (sorted); each stem once, since outputs are named by it. */
export function listImages(inputs: readonly string[]): { files: string[]; fromFolder: boolean } {
  if (inputs.length === 0) throw new UserError('name at least one image file or folder');
  const files: string[] = [];
  let fromFolder = false;
  for (const input of inputs) {
    if (!existsSync(input)) throw new FileError(input, 'no such image file or folder');
    if (!statSync(input).isDirectory()) {
      files.push(input);
      continue;
    }
    fromFolder = true;
    const found = readdirSync(input)
      .filter((n) => (IMG_EXTENSIONS as readonly string[]).includes(extname(n).toLowerCase()))
      .sort()
      .map((n) => join(input, n))
      .filter((f) => statSync(f).isFile());
    if (found.length === 0) throw new FileError(input, `the folder holds no images (${IMG_EXTENSIONS.join(', ')})`);
    files.push(...found);
  }
  // an image named twice is inferred once; two images with one stem would overwrite each other's outputs
  const byPath = new Map<string, string>();
  for (const f of files) if (!byPath.has(resolve(f))) byPath.set(resolve(f), f);
  const seen = new Map<string, string>();
  for (const f of byPath.values()) {
    const stem = basename(f, extname(f));
    const other = seen.get(stem);
    if (other !== undefined) throw new FileError(f, `has the same name stem as ${other}: both would write preds/${stem}.json`);
    seen.set(stem, f);
  }
  return { files: [...byPath.values()], fromFolder };
}

/** Only models that predict boxes: a one-line refusal for the others. */
function checkDetector(model: BaseModel, configPath: string): void {
  if (!model.modes.includes('predict')) {
    throw new ConfigError('model.type', `${model.typeName} has no 'predict' mode (it supports ${model.modes.map((m) => `'${m}'`).join(', ')}): hrdet infer needs one`, configPath);
  }
  if (model instanceof TopdownPoseEstimator) {
    throw new ConfigError('model.type', `${model.typeName} is a top-down pose model: it needs person boxes, which hrdet infer does not provide`, configPath);
  }
  if (!(model.dataPreprocessor instanceof DetDataPreprocessor)) {
    throw new ConfigError('model.type', `${model.typeName} is not a detector (its data_preprocessor is not DetDataPreprocessor): hrdet infer draws detections; use hrdet test for segmentors and classifiers`, configPath);
  }
}

function pipelineKey(config: ConfigObject): string {
  if (Array.isArray(getAt(config, 'test_dataloader.dataset.pipeline'))) return 'test_dataloader.dataset.pipeline';
  if (Array.isArray(config.test_pipeline)) return 'test_pipeline';
  return '(default test pipeline)';
}

/**
 * The config's test pipeline (`test_dataloader.dataset.pipeline`, else `test_pipeline`, else
 * mmdet's default) without its annotation loaders: images to infer on have none. Errors name
 * the transform by its index in the config.
 */
export function buildTestPipeline(config: ConfigObject, container: Container, file?: string): Compose {
  const key = pipelineKey(config);
  const cfgs = (key.startsWith('(') ? DEFAULT_TEST_PIPELINE : getAt(config, key)) as unknown[];
  const ctx = new BuildContext(container, '', file);
  const isAnnotationLoader = (t: unknown) => /(^|\.)Load\w*Annotations$/.test(String((t as { type?: unknown } | null)?.type ?? ''));
  return new Compose(cfgs.flatMap((c, i) => (isAnnotationLoader(c) ? [] : [ctx.build(TRANSFORMS, c, `${key}.${i}`) as Transform])));
}

/**
 * The names drawn for labels: the dataset's `metainfo.classes`, else COCO's for a CocoDataset or
 * an 80-class model (DetInferencer's fallback), else none (drawn as `class <label>`).
 */
export function classNames(config: ConfigObject): readonly string[] | undefined {
  for (const key of ['test_dataloader.dataset.metainfo.classes', 'metainfo.classes']) {
    const v = getAt(config, key);
    if (Array.isArray(v) && v.every((c) => typeof c === 'string')) return v as string[];
  }
  if (getAt(config, 'test_dataloader.dataset.type') === 'CocoDataset' || modelClassCount(config) === 80) return COCO_CLASSES;
  return undefined;
}

function modelClassCount(config: ConfigObject): number | undefined {
  const bboxHead = getAt(config, 'model.roi_head.bbox_head');
  const head = Array.isArray(bboxHead) ? bboxHead[0] : (bboxHead ?? getAt(config, 'model.bbox_head'));
  const n = (head as { num_classes?: unknown } | undefined)?.num_classes;
  return typeof n === 'number' ? n : undefined;
}

async function loadBatch(pipeline: Compose, files: readonly string[], firstId: number): Promise<DataBatch> {
  const items: { inputs: DataBatch['inputs'][number]; data_samples: DataBatch['data_samples'][number] }[] = [];
  for (let i = 0; i < files.length; i++) {
    const r = await pipeline.transform({ img_path: files[i], img_id: firstId + i } as Results);
    if (!r) throw new FileError(files[i], 'the test pipeline dropped this image');
    items.push(r as unknown as (typeof items)[number]);
  }
  return { inputs: items.map((it) => it.inputs), data_samples: items.map((it) => it.data_samples) };
}

function predictBatch(model: BaseModel, batch: DataBatch): DetDataSample[] {
  const e = tfjsEngine();
  return e.tidy(() =>
    withEngine(e, () => {
      const data = preprocess(model, batch, false);
      return model.forward(data.inputs, data.data_samples, 'predict') as DetDataSample[];
    }),
  );
}

/** `--engine onnx` runs the exported graph: only models whose graph ends at the detections. */
function checkExportable(model: BaseModel, configPath: string): void {
  if (!model.exportable || !model.outputNames().includes('dets')) {
    throw new ConfigError('model.type', `${model.typeName}'s exported graph does not end at the detections (dets, labels): use --engine tfjs`, configPath);
  }
}

/**
 * The batch through the model's exported graph on onnxruntime: preprocessing as for tfjs, the
 * image sizes and scale factors of the samples as graph inputs, then the host post-processing
 * (masks pasted into the original images) and `pred_instances` as `predict` writes them.
 */
async function predictBatchOnnx(model: BaseModel, batch: DataBatch): Promise<{ samples: DetDataSample[]; engine: string }> {
  const e = tfjsEngine();
  const { input, samples } = e.tidy(() =>
    withEngine(e, () => {
      const data = preprocess(model, batch, false);
      return { input: e.readSync(data.inputs), samples: data.data_samples as DetDataSample[] };
    }),
  );
  const feeds: Record<string, HostTensor> = {};
  for (const spec of model.tensorInputs(input.shape)) feeds[spec.name] = spec.name === 'input' ? input : spec.fromSamples!(samples);
  const session = await sessionFor(model, input.shape);
  const outputs = model.hostOutputs(await session.run(feeds), input.shape, samples);
  return { samples: samples.map((s, i) => withPredictions(s, outputs, samples.length > 1 ? `.${i}` : '')), engine: describeProvider(session.provider) };
}

/** A sample with `pred_instances` from the `dets`, `labels` (and pasted `masks`) outputs of its image. */
function withPredictions(s: DetDataSample, outputs: ReadonlyMap<string, HostTensor>, sfx: string): DetDataSample {
  const dets = outputs.get(`dets${sfx}`)!;
  const d = dets.data as Float32Array;
  const n = dets.shape[0];
  const masks = outputs.get(`masks${sfx}`);
  s.pred_instances = new InstanceData({
    bboxes: new Boxes(Float32Array.from({ length: 4 * n }, (_, j) => d[5 * Math.floor(j / 4) + (j % 4)])),
    scores: Float32Array.from({ length: n }, (_, i) => d[5 * i + 4]),
    labels: Int32Array.from(outputs.get(`labels${sfx}`)!.data as ArrayLike<number | bigint>, Number),
    ...(masks ? { masks: new BitmapMasks(Uint8Array.from(masks.data as ArrayLike<number>), masks.shape[0], masks.shape[1], masks.shape[2]) } : {}),
  });
  return s;
}

/** A predicted sample as DetInferencer's `pred2dict` writes it. */
export function predictionOf(s: DetDataSample): DetPrediction {
  const p = s.pred_instances;
  if (!p || !(p.bboxes instanceof Boxes)) throw new UserError(`${String(s.metainfo.img_path)}: the model returned no host boxes in 'predict' mode`);
  const out: DetPrediction = { labels: [...(p.labels as Int32Array)], scores: [...(p.scores as Float32Array)], bboxes: p.bboxes.rows() };
  if (p.masks instanceof BitmapMasks) {
    const m = p.masks;
    out.masks = Array.from({ length: m.length }, (_, i) => rleToCoco(encodeMask(m.mask(i), m.height, m.width)));
  }
  return out;
}

async function writeOutputs(
  file: string,
  sample: DetDataSample,
  o: { outDir: string; classes?: readonly string[]; scoreThr: number; draw: boolean },
): Promise<InferredImage> {
  const stem = basename(file, extname(file));
  const prediction = predictionOf(sample);
  const pred = join(o.outDir, 'preds', `${stem}.json`);
  await writeFileAtomic(pred, (w) => w.write(Buffer.from(`${JSON.stringify(prediction)}\n`)));
  if (!o.draw) return { image: file, pred, prediction };
  const img = await readImage(file, { channelOrder: 'rgb' });
  const masks = sample.pred_instances?.masks instanceof BitmapMasks ? sample.pred_instances.masks : undefined;
  const jpeg = await drawDetections(img, { ...prediction, masks }, { classes: o.classes, scoreThr: o.scoreThr });
  const vis = join(o.outDir, 'vis', `${stem}.jpg`);
  await writeFileAtomic(vis, (w) => w.write(jpeg));
  return { image: file, pred, vis, prediction };
}
