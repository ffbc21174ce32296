import { InvalidArgumentError, type Command } from 'commander';
import { analyzeModel, type Analysis } from '../../apis/analyze';
import { analyzeDetector, isDetector, type DetectorAnalysis } from '../../apis/analyze-detector';
import { buildModel } from '../../apis/build-model';
import { ConfigError, UserError } from '../../core/errors';
import { describe } from '../../registry/build-context';
import { globalOptions } from '../global-options';
import { formatTable, grouped, grouped1 } from '../table';

interface AnalyzeCliOptions {
  shape?: number[];
  rois?: number;
  json?: boolean;
  depth: number;
  compare?: boolean;
}

const DEFAULT_SHAPE = [3, 224, 224];

export const CONVENTION =
  'FLOPs here are multiply-accumulates (MACs) of conv2d, conv_transpose2d, linear and matmul layers for one image (batch 1), ' +
  "the HRNet papers' convention; bias adds, normalisation, activations, pooling and resizing are not counted. " +
  'GMACs = 1e9 MACs; GiMACs = 2^30 MACs, the unit of the "GFLOPs" in the HRNet repositories.';
export const ROI_NOTE =
  'Detectors: macs = macs_dense (backbone + neck + dense head) + RoIs x macs_per_roi (every box and mask head, each cascade stage, for one RoI).';
export const PARAMS_NOTE = 'trainable + frozen (requires_grad=False) parameters; buffers (BN running statistics) excluded';

export function register(program: Command): void {
  program
    .command('analyze')
    .description('count parameters and FLOPs (multiply-accumulates) per module and in total, without running on data')
    .argument('<config...>', 'config file (JSON, YAML, JS or TS); several with --compare')
    .option('--shape <C,H,W>', "input shape of one image (default: the config's input_shape, else 3,224,224)", parseShape)
    .option('--rois <N>', "RoIs per image for a two-stage detector's RoI heads (default: test_cfg.rpn.max_per_img; the HRNet paper counts 512)", parseRois)
    .option('--depth <N>', 'show modules down to this depth (0 = totals only)', parseDepth, 2)
    .option('--json', 'print JSON (totals, per-module rows down to --depth, outputs)')
    .option('--compare', 'put several configs side by side: params and MACs of each (each at its own input_shape unless --shape)')
    .addHelpText(
      'after',
      `
${CONVENTION}
Params: ${PARAMS_NOTE}.
The model's forward runs on a shape-only engine (no data, no tfjs backend): the analysis takes
milliseconds even for the biggest models; building the model (allocating and initialising its
weights) takes longer. Ops whose output size depends on data (nms) are counted at their upper
bound and the analysis is marked partial; a model that reads tensor values cannot be analysed.

Detectors: macs = macs_dense + rois x macs_per_roi. macs_dense is the backbone, neck and dense head
(RPNHead, FCOSHead) at the input shape; macs_per_roi is every RoI head of one RoI (box and mask
heads, each cascade stage). The proposal filtering between them reads box values, so the RoI
heads are counted for --rois RoIs per image (the HRNet paper's Table 7: 512 at 800x1216).

Examples:
  $ hrdet analyze configs/hrnet/td-hm_hrnet-w32_8xb64-210e_coco-256x192.json
  $ hrdet analyze configs/hrnet/td-hm_hrnet-w32_8xb64-210e_coco-256x192.json --shape 3,384,288 --depth 1
  $ hrdet analyze configs/hrnet/hrnet-w18_in1k-224x224.json --json --depth 0
  $ hrdet analyze my_config.json --plugin ./my_backbone.ts --cfg-options input_shape=[3,512,512]
  $ hrdet analyze configs/faster_rcnn/faster-rcnn_r50_fpn_1x_coco.json --shape 3,800,1216 --rois 512 --json --depth 0
  $ hrdet analyze --compare configs/hrnet/hrnetv2p-w18-hrfpn.json configs/resnet/resnet50-fpn.json
  $ hrdet analyze --compare configs/faster_rcnn/faster-rcnn_r50_fpn_1x_coco.json configs/hrnet/faster-rcnn_hrnetv2p-w18-1x_coco.json --shape 3,800,1216 --rois 512`,
    )
    .action(async (files: string[], opts: AnalyzeCliOptions, cmd: Command) => {
      if (files.length > 1 && !opts.compare) {
        throw new UserError(`too many arguments for 'analyze'. Expected 1 argument but got ${files.length}. (Give --compare to put several configs side by side.)`);
      }
      const results = [];
      for (const file of files) results.push(await analyzeConfig(file, opts, cmd));
      if (opts.compare) {
        process.stdout.write(opts.json ? compareJson(results) : compareText(results));
        return;
      }
      const [{ header, analysis }] = results;
      process.stdout.write(opts.json ? toJson(header, analysis, opts.depth) : toText(header, analysis, opts.depth));
    });
}

/** Build one config's model (no weights drawn) and analyse it at its input shape. */
async function analyzeConfig(file: string, opts: AnalyzeCliOptions, cmd: Command): Promise<{ header: Header; analysis: Analysis | DetectorAnalysis }> {
  const g = globalOptions(cmd);
  const { model, config } = await buildModel(file, { cfgOptions: g.cfgOptions, plugins: g.plugin, initWeights: false });
  const [shape, source] = inputShape(opts.shape, config.input_shape, file);
  try {
    const analysis = isDetector(model) ? analyzeDetector(model, { inputShape: shape, rois: opts.rois }) : analyzeModel(model, { inputShape: shape });
    return { header: { config: file, model: model.typeName, inputShape: shape, inputShapeSource: source }, analysis };
  } catch (e) {
    if (e instanceof UserError && !(e instanceof ConfigError)) {
      throw new UserError(`${file}: cannot analyse with input ${shape.join('x')} (from ${source}): ${e.message}`);
    }
    throw e;
  }
}

type Result = { header: Header; analysis: Analysis | DetectorAnalysis };

function isSplit(a: Analysis | DetectorAnalysis): a is DetectorAnalysis {
  return 'macsDense' in a;
}

function compareText(results: Result[]): string {
  const anyRois = results.some(({ analysis: a }) => isSplit(a) && a.rois !== null);
  const rows = results.map(({ header: h, analysis: a }) => [
    h.config,
    h.model,
    h.inputShape.join('x'),
    ...(anyRois ? [isSplit(a) && a.rois !== null ? String(a.rois) : ''] : []),
    (a.params / 1e6).toFixed(3),
    (a.params / MEBI).toFixed(2),
    (a.macs / GIGA).toFixed(3),
    (a.macs / GIBI).toFixed(3),
    ...(anyRois ? [isSplit(a) ? (a.macsDense / GIBI).toFixed(3) : '', isSplit(a) && a.rois !== null ? grouped(a.macsPerRoi) : ''] : []),
    a.partial ? 'partial' : '',
  ]);
  const header = [
    'config',
    'model',
    'input',
    ...(anyRois ? ['RoIs'] : []),
    'params (M)',
    'params (2^20)',
    'GMACs',
    'GiMACs',
    ...(anyRois ? ['dense GiMACs', 'MACs per RoI'] : []),
    '',
  ];
  const right = header.map((c, i) => i > 2 && c !== '');
  const lines = [formatTable(header, rows, right), '', CONVENTION, `Params: ${PARAMS_NOTE}.`];
  if (anyRois) lines.push(ROI_NOTE);
  return `${lines.join('\n')}\n`;
}

function compareJson(results: Result[]): string {
  const rows = results.map(({ header: h, analysis: a }) => ({
    config: h.config,
    model: h.model,
    input_shape: h.inputShape,
    input_shape_source: h.inputShapeSource,
    params: a.params,
    trainable_params: a.trainableParams,
    macs: a.macs,
    ...splitJson(a),
    gmacs: a.macs / GIGA,
    gimacs: a.macs / GIBI,
    partial: a.partial,
  }));
  return `${JSON.stringify({ convention: CONVENTION, rows }, null, 2)}\n`;
}

/** The detector split (macs_dense, macs_per_roi, rois, counted); nothing for other models. */
function splitJson(a: Analysis | DetectorAnalysis): Record<string, unknown> {
  if (!isSplit(a)) return {};
  return { macs_dense: a.macsDense, macs_per_roi: a.macsPerRoi, macs_per_roi_by_head: a.macsPerRoiByHead, rois: a.rois, counted: a.counted };
}

function parseRois(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('Expected a non-negative integer.');
  return Number(value);
}

function parseShape(value: string): number[] {
  const parts = value.split(/[,x]/).map((s) => s.trim());
  const dims = parts.map(Number);
  if (dims.length !== 3 || parts.some((p) => !/^\d+$/.test(p)) || dims.some((d) => d < 1)) {
    throw new InvalidArgumentError('Expected three positive integers C,H,W, e.g. 3,256,192.');
  }
  return dims;
}

function parseDepth(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('Expected a non-negative integer.');
  return Number(value);
}

/** [C, H, W] and where it came from: --shape, else the config's input_shape, else the default. */
function inputShape(fromCli: number[] | undefined, fromConfig: unknown, file: string): [number[], string] {
  if (fromCli) return [fromCli, '--shape'];
  if (fromConfig !== undefined) return [configShape(fromConfig, file), "the config's input_shape"];
  return [DEFAULT_SHAPE, 'the default; the config has no input_shape'];
}

function configShape(v: unknown, file: string): number[] {
  if (!Array.isArray(v) || v.length !== 3 || !v.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ConfigError('input_shape', `expected [C, H, W] (three positive integers), got ${Array.isArray(v) ? JSON.stringify(v) : describe(v)}`, file);
  }
  return v as number[];
}

interface Header {
  config: string;
  model: string;
  inputShape: number[];
  inputShapeSource: string;
}

const GIGA = 1e9;
const GIBI = 2 ** 30;
const MEBI = 2 ** 20;

function visibleModules(a: Analysis, depth: number) {
  return a.modules.filter((m) => m.depth <= depth);
}

function toText(h: Header, a: Analysis | DetectorAnalysis, depth: number): string {
  const lines: string[] = [];
  lines.push(`config: ${h.config}`);
  lines.push(`model:  ${h.model}`);
  lines.push(`input:  ${h.inputShape.join('x')} (C,H,W from ${h.inputShapeSource}), batch 1`);
  lines.push('engine: shape (shapes only, no data; the tfjs backend is not used)');
  lines.push('');
  const rows = visibleModules(a, depth)
    .filter((m) => m.depth === 0 || m.params > 0 || m.macs > 0)
    .map((m) => [
      `${'  '.repeat(m.depth)}${m.name || '(model)'}`,
      m.type,
      grouped(m.params),
      grouped1(m.macs / 1e6),
      a.macs ? `${((100 * m.macs) / a.macs).toFixed(1)}%` : '-',
      m.calls > 1 ? `${m.output} (x${m.calls})` : m.output,
    ]);
  if (depth > 0) {
    lines.push(formatTable(['module', 'type', 'params', 'MMACs', 'MACs %', 'output'], rows, [false, false, true, true, true, false]));
    lines.push('');
  }
  for (const o of a.outputs) lines.push(`output ${o.name}: [${o.shape.join(', ')}]`);
  lines.push('');
  const frozen = a.params - a.trainableParams;
  lines.push(`params: ${grouped(a.params)} = ${(a.params / 1e6).toFixed(3)} M (1e6) = ${(a.params / MEBI).toFixed(2)} Mi (2^20)  [trainable ${grouped(a.trainableParams)}, frozen ${grouped(frozen)}]`);
  lines.push(`MACs:   ${grouped(a.macs)} = ${(a.macs / GIGA).toFixed(3)} GMACs (1e9) = ${(a.macs / GIBI).toFixed(3)} GiMACs (2^30)`);
  lines.push(`        ${Object.entries(a.macsByOp).map(([op, n]) => `${op} ${grouped(n)}`).join(', ')}`);
  if (isSplit(a)) {
    lines.push(`        dense (backbone + neck + dense head) ${grouped(a.macsDense)} = ${(a.macsDense / GIBI).toFixed(3)} GiMACs`);
    if (a.rois !== null) {
      const { bbox, mask } = a.macsPerRoiByHead;
      const split = mask ? ` (box ${grouped(bbox)} + mask ${grouped(mask)})` : '';
      lines.push(`        RoI heads ${grouped(a.macsPerRoi)} per RoI${split} x ${a.rois} RoIs = ${grouped(a.macsPerRoi * a.rois)}`);
    }
    lines.push(`counted: ${a.counted}`);
  }
  lines.push('');
  lines.push(CONVENTION);
  lines.push(`Params: ${PARAMS_NOTE}.`);
  if (isSplit(a) && a.rois !== null) lines.push(ROI_NOTE);
  if (a.partial) {
    lines.push('');
    lines.push('PARTIAL: some sizes depend on data and were taken at their upper bound:');
  } else if (a.notes.length) lines.push('');
  for (const n of a.notes) lines.push(`  ${n}`);
  return `${lines.join('\n')}\n`;
}

function toJson(h: Header, a: Analysis | DetectorAnalysis, depth: number): string {
  const out = {
    config: h.config,
    model: h.model,
    input_shape: h.inputShape,
    input_shape_source: h.inputShapeSource,
    batch: 1,
    params: a.params,
    trainable_params: a.trainableParams,
    params_M: a.params / 1e6,
    macs: a.macs,
    ...splitJson(a),
    gmacs: a.macs / GIGA,
    gimacs: a.macs / GIBI,
    macs_by_op: a.macsByOp,
    convention: CONVENTION,
    params_note: PARAMS_NOTE,
    partial: a.partial,
    notes: a.notes,
    outputs: a.outputs,
    modules: visibleModules(a, depth).map((m) => ({
      name: m.name,
      type: m.type,
      depth: m.depth,
      params: m.params,
      macs: m.macs,
      self_macs: m.selfMacs,
      calls: m.calls,
      output: m.output,
    })),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}
