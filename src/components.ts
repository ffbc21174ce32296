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
import './models/losses/cross-entropy-loss';
import './models/losses/focal-loss';
import './models/losses/l1-loss';
import './models/losses/smooth-l1-loss';
import './models/losses/iou-loss';
import './models/losses/giou-loss';
import './models/losses/keypoint-mse-loss';
import './models/losses/label-smooth-loss';
