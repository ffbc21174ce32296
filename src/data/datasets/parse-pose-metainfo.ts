import { z } from 'zod';

const color = z.array(z.number()).length(3);

/** mmpose's `dataset_info` (configs/_base_/datasets/*.py): what a pose dataset's metainfo is written as. */
export const poseDatasetInfoSchema = z
  .object({
    dataset_name: z.string().min(1),
    keypoint_info: z.record(
      z
        .object({
          name: z.string().min(1),
          id: z.number().int().min(0).optional(),
          color: color.optional(),
          /** 'upper' / 'lower' body half (RandomHalfBody); anything else belongs to neither. */
          type: z.string().default(''),
          /** The mirrored keypoint's name ('' or its own name: none). */
          swap: z.string().default(''),
        })
        .strict(),
    ),
    skeleton_info: z.record(z.object({ link: z.tuple([z.string(), z.string()]), id: z.number().int().optional(), color: color.optional() }).strict()),
    joint_weights: z.array(z.number()),
    sigmas: z.array(z.number()),
    paper_info: z.record(z.unknown()).optional(),
    stats_info: z.record(z.unknown()).optional(),
  })
  .strict();
export type PoseDatasetInfo = z.input<typeof poseDatasetInfoSchema>;

/** mmpose's parsed pose metainfo (parse_pose_metainfo): ids instead of names, per-keypoint lists. */
export interface PoseMetainfo {
  dataset_name: string;
  num_keypoints: number;
  keypoint_id2name: Record<number, string>;
  keypoint_name2id: Record<string, number>;
  upper_body_ids: number[];
  lower_body_ids: number[];
  /** For each keypoint the id of its mirror (itself when it has none). */
  flip_indices: number[];
  flip_pairs: [number, number][];
  keypoint_colors: number[][];
  num_skeleton_links: number;
  skeleton_links: [number, number][];
  skeleton_link_colors: number[][];
  /** `joint_weights`, float32 as mmpose holds them. */
  dataset_keypoint_weights: number[];
  /** OKS sigmas, float32 as mmpose holds them. */
  sigmas: number[];
  [key: string]: unknown;
}

/**
 * mmpose's parse_pose_metainfo: keypoint ids are the keys of `keypoint_info`; a keypoint of
 * type 'upper' / 'lower' joins that body half; `swap` names its mirror, giving `flip_indices`
 * and the (mirror, keypoint) `flip_pairs`, each pair once. A name that is not a keypoint, or
 * weights and sigmas not one per keypoint, is reported through `fail(key, detail)`.
 */
export function parsePoseMetainfo(raw: z.output<typeof poseDatasetInfoSchema>, fail: (key: string, detail: string) => Error): PoseMetainfo {
  const entries = Object.entries(raw.keypoint_info).map(([k, v]) => [Number(k), v] as const);
  const bad = entries.find(([id]) => !Number.isInteger(id) || id < 0);
  if (bad) throw fail(`keypoint_info.${bad[0]}`, 'keypoint ids (the keys) must be whole numbers');
  const K = entries.length;
  const name2id: Record<string, number> = {};
  const id2name: Record<number, string> = {};
  for (const [id, kpt] of entries) [name2id[kpt.name], id2name[id]] = [id, kpt.name];
  const idOf = (name: string, key: string) => {
    const id = name2id[name];
    if (id === undefined) throw fail(key, `'${name}' is not one of the keypoint names`);
    return id;
  };
  const out: PoseMetainfo = {
    dataset_name: raw.dataset_name,
    num_keypoints: K,
    keypoint_id2name: id2name,
    keypoint_name2id: name2id,
    upper_body_ids: [],
    lower_body_ids: [],
    flip_indices: [],
    flip_pairs: [],
    keypoint_colors: [],
    num_skeleton_links: 0,
    skeleton_links: [],
    skeleton_link_colors: [],
    dataset_keypoint_weights: raw.joint_weights.map(Math.fround),
    sigmas: raw.sigmas.map(Math.fround),
  };
  const pairs = new Set<string>();
  for (const [id, kpt] of entries) {
    out.keypoint_colors.push(kpt.color ?? [255, 128, 0]);
    if (kpt.type === 'upper') out.upper_body_ids.push(id);
    else if (kpt.type === 'lower') out.lower_body_ids.push(id);
    if (kpt.swap === '' || kpt.swap === kpt.name) {
      out.flip_indices.push(id);
      continue;
    }
    const mirror = idOf(kpt.swap, `keypoint_info.${id}.swap`);
    out.flip_indices.push(mirror);
    if (!pairs.has(`${mirror},${id}`)) {
      pairs.add(`${mirror},${id}`);
      out.flip_pairs.push([mirror, id]);
    }
  }
  for (const [k, sk] of Object.entries(raw.skeleton_info)) {
    out.skeleton_links.push([idOf(sk.link[0], `skeleton_info.${k}.link`), idOf(sk.link[1], `skeleton_info.${k}.link`)]);
    out.skeleton_link_colors.push(sk.color ?? [96, 96, 255]);
  }
  out.num_skeleton_links = out.skeleton_links.length;
  for (const key of ['joint_weights', 'sigmas'] as const) {
    if (raw[key].length !== K) throw fail(key, `needs one value per keypoint (${K}), got ${raw[key].length}`);
  }
  return out;
}
