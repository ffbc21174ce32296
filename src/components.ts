/**
 * Every built-in component file, imported for its registration side effect. A component is
 * available to configs once its file is listed here.
 */
import './models/backbones/resnet';
import './models/backbones/resnext';
import './models/necks/fpn';
import './models/feature-pyramid';
import './models/backbones/hrnet/hrnet';
import './models/necks/hrfpn';
import './models/heads/pose/heatmap-head';
import './models/heads/seg/fcn-head';
import './models/heads/cls/hrnet-cls-head';
import './models/pose/topdown-pose-estimator';
import './models/segmentors/encoder-decoder';
import './models/classifiers/image-classifier';
import './models/losses/cross-entropy-loss';
import './models/losses/focal-loss';
import './models/losses/l1-loss';
import './models/losses/smooth-l1-loss';
import './models/losses/iou-loss';
import './models/losses/giou-loss';
import './models/losses/keypoint-mse-loss';
import './models/losses/label-smooth-loss';
