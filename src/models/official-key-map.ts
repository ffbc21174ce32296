/**
 * Key maps from the official HRNet repositories' checkpoint layouts (pose_hrnet, seg_hrnet,
 * cls_hrnet: the network body at the top level) to hrdet's mm* layout. Rules are prefixes
 * ending in '.', first match wins (applied by `io/key-map.applyKeyMap`).
 */
import { OFFICIAL_HRNET_BACKBONE_RULES } from '../io/key-map';

/** A prefix rule of a model's official key map (`Model.officialKeyMap`). */
export interface KeyRule {
  from: string;
  to: string;
}

/** Official body keys (`conv1.`, `layer1.`, `stage2.`, ...) → `backbone.*`. */
export function officialBackboneKeyMap(): KeyRule[] {
  return OFFICIAL_HRNET_BACKBONE_RULES.map((r) => ({ from: r.from, to: r.to ?? '' }));
}
