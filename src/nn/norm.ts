import { BatchNorm2d } from './batch-norm2d';
import { GroupNorm } from './group-norm';
import type { TensorModule } from './containers';

export interface NormConfig {
  type: 'BN' | 'BN2d' | 'SyncBN' | 'GN' | 'IN';
  requires_grad?: boolean;
  num_groups?: number;
  eps?: number;
  momentum?: number;
}

/**
 * mmcv's build_norm_layer: returns the layer and the name mmcv gives it (`bn`, `gn`, `in`,
 * plus a postfix), which is what checkpoint keys use. SyncBN is plain BN on one device.
 */
export function buildNormLayer(cfg: NormConfig, channels: number, postfix: string | number = ''): [string, TensorModule] {
  switch (cfg.type) {
    case 'BN':
    case 'BN2d':
    case 'SyncBN': {
      const bn = new BatchNorm2d(channels, cfg.eps ?? 1e-5, cfg.momentum ?? 0.1);
      if (cfg.requires_grad === false) freeze(bn);
      return [`bn${postfix}`, bn];
    }
    case 'GN': {
      if (!cfg.num_groups) throw new Error("norm_cfg of type 'GN' must set num_groups");
      const gn = new GroupNorm(cfg.num_groups, channels, cfg.eps ?? 1e-5);
      if (cfg.requires_grad === false) freeze(gn);
      return [`gn${postfix}`, gn];
    }
    case 'IN':
      throw new Error("norm_cfg type 'IN' is not supported yet; use 'BN' or 'GN'");
  }
}

function freeze(m: BatchNorm2d | GroupNorm): void {
  for (const [, p] of m.namedParameters()) (p as { requiresGrad: boolean }).requiresGrad = false;
}
