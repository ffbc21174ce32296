import { Module } from '../../../core/module';
import * as F from '../../../core/ops';
import { Conv2d } from '../../../nn/conv2d';
import { Identity, ModuleList, Sequential, type TensorModule } from '../../../nn/containers';
import { ReLU } from '../../../nn/activations';
import { buildNormLayer, type NormConfig } from '../../../nn/norm';
import type { Tensor } from '../../../core/tensor';
import { ResLayer } from '../../../nn/blocks/res-layer';
import { upsampleTo } from '../../../nn/blocks/hrnet-representations';
import type { ResidualBlockClass } from '../../../nn/blocks/residual-block';

export interface FusionUpsample {
  mode: 'nearest' | 'bilinear';
  alignCorners: boolean;
}

export interface HRModuleOptions {
  block: ResidualBlockClass;
  numBlocks: readonly number[];
  /** Width of each incoming branch. */
  inChannels: readonly number[];
  /** Planes of each branch; a branch ends `planes * block.expansion` wide. */
  numChannels: readonly number[];
  /** false: fuse into the highest-resolution branch only (the last module of pose's stage 4). */
  multiscaleOutput: boolean;
  normCfg: NormConfig;
  upsample: FusionUpsample;
}

/**
 * One multi-resolution module: every branch runs its residual blocks, then each output
 * branch i sums all branches brought to its resolution and width (lower resolutions by a
 * 1x1 conv + norm + upsampling, higher ones by a chain of stride-2 3x3 convs) and applies a
 * ReLU to the sum. Children: `branches.{i}.{b}`, `fuse_layers.{i}.{j}[.{k}].{0,1}`.
 */
export class HRModule extends Module {
  readonly branches: ModuleList<ResLayer>;
  readonly fuseLayers: ModuleList<ModuleList<TensorModule>> | null;
  /** Width of each branch after its blocks (and after the fusion). */
  readonly outChannels: number[];
  private readonly upsampleCfg: FusionUpsample;

  constructor(opts: HRModuleOptions) {
    super();
    const n = opts.numChannels.length;
    this.upsampleCfg = opts.upsample;
    this.branches = this.addModule(
      'branches',
      new ModuleList(
        opts.numChannels.map(
          (planes, i) => new ResLayer(opts.block, opts.inChannels[i], planes, opts.numBlocks[i], { normCfg: opts.normCfg }),
        ),
      ),
    );
    this.outChannels = opts.numChannels.map((c) => c * opts.block.expansion);
    // a single branch has nothing to exchange with: its blocks' output is the module's output
    this.fuseLayers = n > 1 ? this.addModule('fuse_layers', this.makeFuseLayers(opts.multiscaleOutput ? n : 1, opts.normCfg)) : null;
  }

  private makeFuseLayers(numOut: number, normCfg: NormConfig): ModuleList<ModuleList<TensorModule>> {
    const c = this.outChannels;
    const layers = new ModuleList<ModuleList<TensorModule>>();
    for (let i = 0; i < numOut; i++) {
      const row = new ModuleList<TensorModule>();
      for (let j = 0; j < c.length; j++) {
        if (j > i) row.push(new Sequential(conv(c[j], c[i], 1, 1), norm(normCfg, c[i])));
        else if (j === i) row.push(new Identity());
        else row.push(downsampleChain(c[j], c[i], i - j, normCfg));
      }
      layers.push(row);
    }
    return layers;
  }

  forward(xs: readonly Tensor[]): Tensor[] {
    const ys = xs.map((x, i) => this.branches.at(i).forward(x));
    if (!this.fuseLayers) return ys;
    const out: Tensor[] = [];
    for (let i = 0; i < this.fuseLayers.length; i++) {
      const row = this.fuseLayers.at(i);
      // summed in branch order j = 0, 1, ... as the reference code does (float addition order)
      let sum: Tensor | null = null;
      for (let j = 0; j < ys.length; j++) {
        let term = j === i ? ys[j] : row.at(j).forward(ys[j]);
        if (j > i) term = this.upsample(term, ys[i], 2 ** (j - i));
        sum = sum ? F.add(sum, term) : term;
      }
      out.push(F.relu(sum!));
    }
    return out;
  }

  /**
   * Nearest by the factor 2^(j-i) as pose/cls/mmdet write it; bilinear to the exact size of the
   * target branch as seg_hrnet/mmseg write it (any input size). `upsampleTo` falls back to the
   * exact size where a factor does not fit, so odd sizes also work with nearest.
   */
  private upsample(x: Tensor, target: Tensor, factor: number): Tensor {
    const { mode, alignCorners } = this.upsampleCfg;
    return upsampleTo(x, [target.shape[2], target.shape[3]], { mode, alignCorners, factor: mode === 'nearest' ? factor : undefined });
  }
}

function conv(cin: number, cout: number, kernel: number, stride: number): Conv2d {
  return new Conv2d(cin, cout, kernel, { stride, padding: (kernel - 1) / 2, bias: false });
}

function norm(cfg: NormConfig, channels: number): TensorModule {
  return buildNormLayer(cfg, channels)[1];
}

/**
 * `steps` stride-2 3x3 convs from width cin to cout: the first steps-1 keep cin and end in a
 * ReLU, the last changes the width and has none (the ReLU comes after the fusion sum).
 */
function downsampleChain(cin: number, cout: number, steps: number, normCfg: NormConfig): Sequential {
  const chain = new Sequential();
  for (let k = 0; k < steps; k++) {
    const last = k === steps - 1;
    const out = last ? cout : cin;
    const step = new Sequential(conv(cin, out, 3, 2), norm(normCfg, out));
    if (!last) step.append(new ReLU());
    chain.append(step);
  }
  return chain;
}
