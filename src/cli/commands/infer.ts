import type { Command } from 'commander';
import { UserError } from '../../core/errors';
import { infer } from '../../apis/infer';
import { globalOptions, useBackend } from '../global-options';

interface InferCliOptions {
  checkpoint?: string;
  outDir: string;
  scoreThr: string;
  batchSize: string;
  draw: boolean;
  engine: string;
}

function number(flag: string, value: string, integer: boolean): number {
  const v = Number(value);
  if (!Number.isFinite(v) || (integer && (!Number.isInteger(v) || v < 1))) {
    throw new UserError(`${flag} expects ${integer ? 'a positive integer' : 'a number'}, got '${value}'`);
  }
  return v;
}

export function register(program: Command): void {
  program
    .command('infer')
    .description("run a detector on image files: predictions as JSON (mmdetection's DetInferencer format) and drawn images")
    .argument('<config>', 'detector config file')
    .argument('<images...>', 'image files and/or folders of images (.jpg, .jpeg, .png, .ppm, .bmp, .pgm, .tif, .tiff, .webp)')
    .option('--checkpoint <file>', 'weights (.pth or .safetensors); without one the weights are random')
    .option('--out-dir <dir>', 'where preds/ and vis/ go', 'outputs')
    .option('--score-thr <x>', 'draw instances scoring at least this (the JSON keeps every prediction)', '0.3')
    .option('--batch-size <n>', 'images per forward pass', '1')
    .option('--no-draw', 'write the JSON predictions only')
    .option('--engine <name>', "'tfjs' (eager predict) or 'onnx' (the exported graph on onnxruntime; two-stage detectors)", 'tfjs')
    .addHelpText(
      'after',
      `
Writes <out-dir>/preds/<image stem>.json: {"labels": [...], "scores": [...], "bboxes": [[x1,y1,x2,y2],...]}
in original-image pixels, plus "masks" (COCO RLE, string counts) for instance-segmentation models,
and <out-dir>/vis/<image stem>.jpg with boxes, class names, scores and masks drawn.
Images go through the config's test pipeline (test_dataloader.dataset.pipeline, annotation loading
dropped; mmdet's default Resize 1333x800 keep_ratio when the config has none).
Detectors only: pose models need person boxes, segmentors and classifiers are refused.

Examples:
  $ hrdet infer configs/hrnet/faster-rcnn_hrnetv2p-w18-1x_coco.json demo.jpg --checkpoint faster_rcnn_hrnetv2p_w18.pth
  $ hrdet infer configs/fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.json images/ --checkpoint fcos.pth --out-dir out --score-thr 0.5`,
    )
    .action(async (config: string, images: string[], opts: InferCliOptions, cmd: Command) => {
      const g = globalOptions(cmd);
      const scoreThr = number('--score-thr', opts.scoreThr, false);
      const batchSize = number('--batch-size', opts.batchSize, true);
      const backend = (await useBackend(g)).name;
      if (opts.engine !== 'tfjs' && opts.engine !== 'onnx') throw new UserError(`--engine must be tfjs or onnx, got '${opts.engine}'`);
      const r = await infer(config, images, { checkpoint: opts.checkpoint, outDir: opts.outDir, scoreThr, batchSize, draw: opts.draw, backend, engine: opts.engine, cfgOptions: g.cfgOptions, plugins: g.plugin });
      for (const im of r.images) {
        const shown = im.prediction.scores.filter((s) => s >= scoreThr).length;
        process.stdout.write(`${im.image}: ${im.prediction.scores.length} detections (${shown} >= ${scoreThr}) -> ${im.pred}${im.vis ? `, ${im.vis}` : ''}\n`);
      }
    });
}
