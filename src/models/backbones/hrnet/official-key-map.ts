/**
 * The official HRNet repositories' checkpoint layouts (pose_hrnet, seg_hrnet, cls_hrnet: the
 * network body at the top level) against hrdet's mm* layout. Rules are prefixes ending in '.',
 * first match wins (applied by io's `applyKeyMap`); models add rules for their head keys.
 */

/** A prefix rule of a model's official key map (`officialKeyMap()`). */
export interface KeyRule {
  from: string;
  to: string;
}

/** Top-level modules of the official HRNet repositories that form the backbone (mm* `backbone.`). */
export const OFFICIAL_HRNET_BACKBONE_MODULES = [
  'conv1', 'bn1', 'conv2', 'bn2', 'layer1', 'transition1', 'transition2', 'transition3', 'stage2', 'stage3', 'stage4',
] as const;

/** Rules that move official HRNet backbone keys under `backbone.` (head keys are left alone). */
export const OFFICIAL_HRNET_BACKBONE_RULES: readonly KeyRule[] = OFFICIAL_HRNET_BACKBONE_MODULES.map((m) => ({
  from: `${m}.`,
  to: `backbone.${m}.`,
}));

/**
 * Official HRNet layouts (deep-high-resolution-net, HRNet-Semantic-Segmentation,
 * HRNet-Image-Classification) to mm* backbone keys. The seg repository saves its training
 * wrapper, so its keys start with `model.`, which its own test script strips. Models add rules
 * for their head keys in front of these.
 */
export const OFFICIAL_HRNET_KEY_MAPS: Readonly<Record<'pose' | 'seg' | 'cls', { strip?: string[]; rules: readonly KeyRule[] }>> = {
  pose: { rules: OFFICIAL_HRNET_BACKBONE_RULES },
  seg: { strip: ['model.'], rules: OFFICIAL_HRNET_BACKBONE_RULES },
  cls: { rules: OFFICIAL_HRNET_BACKBONE_RULES },
};

/** Official body keys (`conv1.`, `layer1.`, `stage2.`, ...) → `backbone.*`. */
export function officialBackboneKeyMap(): KeyRule[] {
  return OFFICIAL_HRNET_BACKBONE_RULES.map((r) => ({ from: r.from, to: r.to }));
}
