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
import './models/task-modules/prior-generators/anchor-generator';
import './models/task-modules/prior-generators/mlvl-point-generator';
import './models/task-modules/coders/delta-xywh-bbox-coder';
import './models/task-modules/coders/distance-point-bbox-coder';
import './models/task-modules/assigners/bbox-overlaps-2d';
import './models/task-modules/assigners/max-iou-assigner';
import './models/task-modules/samplers/random-sampler';
import './models/task-modules/samplers/pseudo-sampler';
