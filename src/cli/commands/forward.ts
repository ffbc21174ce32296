import { Option, type Command } from 'commander';
import { forwardFiles, describeLoadReport } from '../../apis/forward';
import { globalOptions, useBackend } from '../global-options';

interface ForwardCliOptions {
  checkpoint?: string;
  input: string;
  output: string;
  strict?: boolean;
  engine: 'tfjs' | 'onnx';
  provider: 'auto' | 'cpu' | 'cuda';
  mode: 'tensor' | 'loss';
  imgMetas?: string;
  gt?: string;
  grads?: string;
}

export function register(program: Command): void {
  program
    .command('forward')
    .description("run a model on the tensor named 'input' of a safetensors file and write its raw outputs (eval mode) or its training losses and gradients (--mode loss)")
    .argument('<config>', 'model config file')
    .option('--checkpoint <file>', 'weights: .pth (zip or legacy), mm* {state_dict, meta}, official HRNet layouts, or .safetensors')
    .requiredOption('--input <file>', "safetensors file holding 'input' (NCHW float32)")
    .requiredOption('--output <file>', 'safetensors file to write: backbone.i, neck.i, output')
    .option('--strict', 'missing, unexpected or shape-mismatched checkpoint keys are errors')
    .addOption(new Option('--mode <mode>', "'tensor': raw outputs in eval mode; 'loss': training-mode losses (tfjs engine)").choices(['tensor', 'loss']).default('tensor'))
    .option('--img-metas <file>', 'detectors: JSON list of per-image metainfo (img_shape, pad_shape, batch_input_shape, ori_shape, scale_factor)')
    .option('--gt <file>', '--mode loss: JSON list of per-image ground truth {"bboxes": [[x1,y1,x2,y2],...], "labels": [...], "ignore_flags"?: [...]}')
    .option('--grads <names>', '--mode loss: comma-separated parameter names whose gradient of total_loss is written as grad.<name>')
    .addOption(new Option('--engine <name>', 'execution engine').choices(['tfjs', 'onnx']).default('tfjs'))
    .addOption(
      new Option('--provider <name>', 'onnxruntime execution provider (--engine onnx): CUDA where installed, else CPU')
        .choices(['auto', 'cpu', 'cuda'])
        .default('auto'),
    )
    .addHelpText(
      'after',
      `
Outputs: backbone.0..N (backbone branches), neck.0..N (pyramid levels) where the model has them,
and output (pose heatmaps / segmentation logits at the head's resolution / classification logits).
With --mode loss: every loss under its mmdetection name as a float32 scalar (per-level lists
summed, each level also as name.l), total_loss (what is back-propagated) and grad.<name>.

Example:
  $ hrdet forward configs/hrnet/td-hm_hrnet-w32_8xb64-210e_coco-256x192.json \\
      --checkpoint pose_hrnet_w32_256x192.pth --input in.safetensors --output out.safetensors
  $ hrdet forward faster_rcnn.json --checkpoint w.pth --input in.safetensors --img-metas metas.json \\
      --gt gt.json --mode loss --grads rpn_head.rpn_cls.weight --output losses.safetensors`,
    )
    .action(async (file: string, opts: ForwardCliOptions, cmd: Command) => {
      const g = globalOptions(cmd);
      // the onnx engine traces the model and needs no tfjs backend
      const backend = opts.engine === 'tfjs' ? (await useBackend(g)).name : undefined;
      const grads = opts.grads ? opts.grads.split(',').map((n) => n.trim()).filter((n) => n) : undefined;
      const r = await forwardFiles(file, { ...opts, grads, backend, cfgOptions: g.cfgOptions, plugins: g.plugin });
      process.stderr.write(`engine: ${r.engine}\n`);
      if (r.weights) {
        process.stderr.write(`checkpoint (${r.weights.layout} layout): ${describeLoadReport(r.weights.report)}\n`);
      }
      for (const o of r.outputs) process.stdout.write(`${o.name} [${o.shape.join(', ')}]\n`);
      process.stderr.write(`wrote ${opts.output}\n`);
    });
}
