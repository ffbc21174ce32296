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
}

export function register(program: Command): void {
  program
    .command('forward')
    .description("run a model in eval mode on the tensor named 'input' of a safetensors file and write its raw outputs")
    .argument('<config>', 'model config file')
    .option('--checkpoint <file>', 'weights: .pth (zip or legacy), mm* {state_dict, meta}, official HRNet layouts, or .safetensors')
    .requiredOption('--input <file>', "safetensors file holding 'input' (NCHW float32)")
    .requiredOption('--output <file>', 'safetensors file to write: backbone.i, neck.i, output')
    .option('--strict', 'missing, unexpected or shape-mismatched checkpoint keys are errors')
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

Example:
  $ hrdet forward configs/hrnet/td-hm_hrnet-w32_8xb64-210e_coco-256x192.json \\
      --checkpoint pose_hrnet_w32_256x192.pth --input in.safetensors --output out.safetensors`,
    )
    .action(async (file: string, opts: ForwardCliOptions, cmd: Command) => {
      const g = globalOptions(cmd);
      // the onnx engine traces the model and needs no tfjs backend
      const backend = opts.engine === 'tfjs' ? (await useBackend(g)).name : undefined;
      const r = await forwardFiles(file, { ...opts, backend, cfgOptions: g.cfgOptions, plugins: g.plugin });
      process.stderr.write(`engine: ${r.engine}\n`);
      if (r.weights) {
        process.stderr.write(`checkpoint (${r.weights.layout} layout): ${describeLoadReport(r.weights.report)}\n`);
      }
      for (const o of r.outputs) process.stdout.write(`${o.name} [${o.shape.join(', ')}]\n`);
      process.stderr.write(`wrote ${opts.output}\n`);
    });
}
