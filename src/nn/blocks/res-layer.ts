import { Sequential } from '../containers';
import { buildNormLayer, type NormConfig } from '../norm';
import { AvgPool2d } from './avg-pool2d';
import { blockConv, type ResidualBlock, type ResidualBlockClass, type ResidualBlockOptions } from './residual-block';

export interface ResLayerOptions extends Omit<ResidualBlockOptions, 'downsample' | 'stride'> {
  stride?: number;
  /** ResNet-D: downsample the shortcut with an average pool and a stride-1 1x1 conv. */
  avgDown?: boolean;
}

/**
 * One ResNet stage (mmdet's ResLayer): `numBlocks` blocks, the first carrying the stride and
 * the shortcut projection (`downsample.0` conv, `downsample.1` norm; with avg_down the pool
 * comes first and they shift to `.1`/`.2`).
 */
export class ResLayer extends Sequential {
  readonly outChannels: number;

  constructor(block: ResidualBlockClass, inplanes: number, planes: number, numBlocks: number, opts: ResLayerOptions = {}) {
    super();
    const stride = opts.stride ?? 1;
    const out = planes * block.expansion;
    const { avgDown, ...blockOpts } = opts;
    const downsample = stride !== 1 || inplanes !== out ? shortcut(inplanes, out, stride, !!avgDown, opts.normCfg) : null;
    this.append(new block(inplanes, planes, { ...blockOpts, stride, downsample }));
    for (let i = 1; i < numBlocks; i++) this.append(new block(out, planes, { ...blockOpts, stride: 1 }));
    this.outChannels = out;
  }

  /** mmdet's ResLayer is mmengine's Sequential, a BaseModule: initWeights() reaches its blocks. */
  override get hasInitWeights(): boolean {
    return true;
  }

  blocks(): ResidualBlock[] {
    return Array.from({ length: this.length }, (_, i) => this.at(i) as ResidualBlock);
  }
}

function shortcut(cin: number, cout: number, stride: number, avgDown: boolean, normCfg: NormConfig | undefined): Sequential {
  const seq = new Sequential();
  if (avgDown) seq.append(new AvgPool2d(stride, stride, true, false));
  seq.append(blockConv(cin, cout, 1, { stride: avgDown ? 1 : stride }));
  seq.append(buildNormLayer(normCfg ?? { type: 'BN' }, cout)[1]);
  return seq;
}
