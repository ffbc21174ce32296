import { InvalidArgumentError, type Command } from 'commander';
import { buildModel } from '../../apis/build-model';
import { exportOnnx } from '../../apis/export';
import { describeLoadReport, loadWeights } from '../../apis/load-weights';
import { ConfigError, UserError } from '../../core/errors';
import { MAX_OPSET, MIN_OPSET } from '../../engines/onnx/onnx-tracer';
import { dimToString } from '../../engines/onnx/sym-dim';
import { globalOptions, useBackend } from '../global-options';

interface ExportCliOptions {
  checkpoint?: string;
  strict?: boolean;
  shape?: number[];
  batch: number;
  dynamic?: boolean;
  opset: number;
  out?: string;
  triton?: string;
  name?: string;
  maxBatchSize: number;
  verify: boolean;
  tolerance: number;
  outputs?: string[];
}

export function register(program: Command): void {
  program
    .command('export')
    .description('export a model to ONNX (traced from its own forward), verified on onnxruntime against tfjs')
    .argument('<config>', 'config file (JSON, YAML, JS or TS)')
    .option('--checkpoint <file>', 'weights to load (.pth, .safetensors; mm* or official HRNet layout)')
    .option('--strict', 'fail on any missing, unexpected or mismatched checkpoint key')
    .option('--shape <C,H,W>', "input shape of one image (default: the config's input_shape, else C,224,224)", parseShape)
    .option('--batch <N>', 'batch size of the traced input', parsePositive, 1)
    .option('--dynamic', 'dynamic batch, height and width (fully convolutional models)')
    .option('--opset <N>', `ONNX opset, ${MIN_OPSET} to ${MAX_OPSET}`, parsePositive, 17)
    .option('--out <file>', 'ONNX file to write')
    .option('--triton <dir>', 'also write an NVIDIA Triton model repository entry <dir>/<name>/ (dynamic batch implied)')
    .option('--name <name>', 'Triton model name (default: the --out file name, else the model type)')
    .option('--max-batch-size <N>', 'Triton max_batch_size for dynamic batching', parsePositive, 8)
    .option('--outputs <names>', "graph outputs to keep, comma-separated tensor-mode names (e.g. dets,labels,masks; per-image '.i' names follow); default all", (v: string) => v.split(',').map((n) => n.trim()).filter(Boolean))
    .option('--no-verify', 'skip the onnxruntime-vs-tfjs check (not recommended)')
    .option('--tolerance <rel>', 'verification bound per output: max |onnx - tfjs| <= rel * max(1, max |tfjs|)', parseTolerance, 1e-4)
    .addHelpText(
      'after',
      `
The graph is recorded by running the model's forward on hrdet's ONNX engine, so it is the same
module code that tfjs runs: input 'input' (NCHW float32), outputs named as 'hrdet forward' names
them (backbone.i, neck.i, output). Batch norms are folded into convolutions, constant subgraphs
folded, no-op layout nodes and unused nodes removed. Detector ops lower to standard ONNX ops
(RoiAlign, NonMaxSuppression, TopK, Gather, Resize); no custom-op library is needed.
Every export is run on onnxruntime (CPU) with a random input and compared with the tfjs forward
(with --dynamic also at a second batch size and image size); past the tolerance nothing is written.

Examples:
  $ hrdet export configs/hrnet/td-hm_hrnet-w32_8xb64-210e_coco-256x192.json --checkpoint pose_hrnet_w32_256x192.pth --out pose.onnx
  $ hrdet export configs/hrnet/hrnetv2p-w32-hrfpn.json --dynamic --out hrnetv2p.onnx
  $ hrdet export configs/resnet/resnet50-fpn.json --dynamic --triton model_repository --name resnet50_fpn`,
    )
    .action(async (file: string, opts: ExportCliOptions, cmd: Command) => {
      if (!opts.out && !opts.triton) throw new UserError('nothing to write: give --out <file.onnx> and/or --triton <dir>');
      const g = globalOptions(cmd);
      const say = (line: string) => process.stderr.write(`${line}\n`);
      if (opts.verify) await useBackend(g, say);
      const { model, config } = await buildModel(file, { cfgOptions: g.cfgOptions, plugins: g.plugin });
      if (opts.checkpoint) {
        const { report, layout } = await loadWeights(model, opts.checkpoint, { strict: opts.strict });
        say(`checkpoint ${opts.checkpoint} (${layout} layout): ${describeLoadReport(report)}`);
      }
      const shape = opts.shape ?? configShape(config.input_shape, file) ?? [model.inChannels, 224, 224];
      const result = await exportOnnx(model, {
        shape,
        batch: opts.batch,
        dynamic: opts.dynamic,
        opset: opts.opset,
        outputs: opts.outputs,
        out: opts.out,
        config,
        verify: opts.verify ? { rel: opts.tolerance } : false,
        triton: opts.triton ? { dir: opts.triton, name: opts.name, maxBatchSize: opts.maxBatchSize } : undefined,
        log: say,
      });
      const dims = (v: (typeof result.inputs)[number]) => `[${v.dims.map(dimToString).join(', ')}]`;
      const lines = [
        ...result.inputs.map((v) => `input  ${v.name}: ${v.type} ${dims(v)}`),
        ...result.outputs.map((v) => `output ${v.name}: ${v.type} ${dims(v)}`),
      ];
      if (result.verification) {
        // worst error as a fraction of its pass bound (rel × max(1, max |tfjs|)): below 1 passes
        const checks = result.verification.runs.flatMap((r) => r.outputs);
        const worst = checks.reduce((w, c) => (c.maxError / c.bound > w.maxError / w.bound ? c : w));
        lines.push(
          `verified on ${result.verification.provider} over ${result.verification.runs.map((r) => r.shape.join('x')).join(' and ')}: ` +
            `worst error ${(worst.maxError / worst.bound).toFixed(3)} of its bound (${worst.name}: ${worst.maxError.toExponential(2)} ≤ ${worst.bound.toExponential(2)} = ${result.verification.rel} × max(1, ${worst.maxRef.toPrecision(3)}))`,
        );
      } else {
        lines.push('not verified (--no-verify)');
      }
      if (result.path) lines.push(`onnx: ${result.path}`);
      if (result.triton) lines.push(`triton: ${result.triton.configPath}, ${result.triton.modelPath}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}

function parseShape(value: string): number[] {
  const parts = value.split(/[,x]/).map((s) => s.trim());
  if (parts.length !== 3 || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1)) {
    throw new InvalidArgumentError('Expected three positive integers C,H,W, e.g. 3,256,192.');
  }
  return parts.map(Number);
}

function parsePositive(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('Expected a positive integer.');
  return Number(value);
}

function parseTolerance(value: string): number {
  const v = Number(value);
  if (!(v > 0)) throw new InvalidArgumentError('Expected a positive number, e.g. 1e-4.');
  return v;
}

function configShape(v: unknown, file: string): number[] | null {
  if (v === undefined) return null;
  if (!Array.isArray(v) || v.length !== 3 || !v.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ConfigError('input_shape', `expected [C, H, W] (three positive integers), got ${JSON.stringify(v)}`, file);
  }
  return v as number[];
}
