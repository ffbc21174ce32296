import { Module } from '../core/module';
import type { Tensor } from '../core/tensor';
import * as F from '../core/ops';
import { Conv2d } from './conv2d';
import { buildNormLayer, type NormConfig } from './norm';
import type { TensorModule } from './containers';
import { constantInit, kaimingNormal } from './init/initializers';

export interface ConvModuleArgs {
  stride?: F.IntOrPair;
  padding?: F.IntOrPair;
  dilation?: F.IntOrPair;
  groups?: number;
  /** 'auto' (mmcv): a bias only when there is no norm layer. */
  bias?: boolean | 'auto';
  normCfg?: NormConfig | null;
  /** null = no activation. */
  actCfg?: { type: 'ReLU' | 'Sigmoid' } | null;
}

/**
 * mmcv's ConvModule: conv → norm → activation, with children named `conv` and `bn`/`gn`
 * so checkpoint keys read `...conv.weight`, `...bn.running_mean`.
 */
export class ConvModule extends Module {
  readonly conv: Conv2d;
  readonly norm: TensorModule | null;
  readonly act: 'ReLU' | 'Sigmoid' | null;

  constructor(inChannels: number, outChannels: number, kernelSize: F.IntOrPair, args: ConvModuleArgs = {}) {
    super();
    const norm = args.normCfg ?? null;
    const bias = args.bias === undefined || args.bias === 'auto' ? norm === null : args.bias;
    this.conv = this.addModule(
      'conv',
      new Conv2d(inChannels, outChannels, kernelSize, { ...args, bias }),
    );
    if (norm) {
      const [name, layer] = buildNormLayer(norm, outChannels);
      this.norm = this.addModule(name, layer);
    } else {
      this.norm = null;
    }
    this.act = args.actCfg === undefined ? 'ReLU' : args.actCfg ? args.actCfg.type : null;
    // mmcv runs its init_weights at construction as well
    this.defaultInit();
  }

  /** mmcv's ConvModule.init_weights: Kaiming normal (fan_out, ReLU) on the conv, bias 0; norm weight 1, bias 0. */
  override defaultInit(): void {
    kaimingNormal(this.conv.weight, { mode: 'fan_out', nonlinearity: 'relu' });
    if (this.conv.bias) constantInit(this.conv.bias, 0);
    const w = this.norm?.ownParameter('weight');
    const b = this.norm?.ownParameter('bias');
    if (w) constantInit(w, 1);
    if (b) constantInit(b, 0);
  }

  forward(x: Tensor): Tensor {
    let y = this.conv.forward(x);
    if (this.norm) y = this.norm.forward(y);
    if (this.act === 'ReLU') y = F.relu(y);
    else if (this.act === 'Sigmoid') y = F.sigmoid(y);
    return y;
  }
}
