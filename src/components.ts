/**
 * Every built-in component file, imported for its registration side effect. A component is
 * available to configs once its file is listed here.
 */
import './backbones/resnet';
import './backbones/resnext';
import './necks/fpn';
import './models/feature-pyramid';
import './backbones/hrnet/hrnet';
import './necks/hrfpn';
import './heads/pose/heatmap-head';
import './heads/seg/fcn-head';
import './heads/cls/hrnet-cls-head';
import './models/topdown-pose-estimator';
import './models/encoder-decoder';
import './models/image-classifier';
import './training/optim/sgd';
import './training/optim/adam';
import './training/optim/adamw';
import './training/schedulers/linear-lr';
import './training/schedulers/constant-lr';
import './training/schedulers/multi-step-lr';
import './training/schedulers/step-lr';
import './training/schedulers/exponential-lr';
import './training/schedulers/poly-lr';
import './training/schedulers/cosine-annealing-lr';
import './training/schedulers/one-cycle-lr';
import './training/optim/optim-wrapper';
import './training/optim/amp-optim-wrapper';
import './training/visualization/local-vis-backend';
import './training/visualization/tensorboard-vis-backend';
