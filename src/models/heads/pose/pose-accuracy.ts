import { heatmapMaxima } from '../../codecs/msra-heatmap';

/**
 * mmpose's pose_pck_accuracy on heatmaps [N, K, H, W]: the arg-max of prediction and target
 * per keypoint, their distance normalised by (H, W) (mmpose divides x by H and y by W), the
 * fraction under `thr` per keypoint over the masked instances, averaged over the keypoints
 * that had any. Returns 0 when none had.
 */
export function posePckAccuracy(pred: Float32Array, target: Float32Array, mask: ArrayLike<boolean>, N: number, K: number, H: number, W: number, thr = 0.05): number {
  const dists: number[][] = Array.from({ length: K }, () => []);
  for (let n = 0; n < N; n++) {
    const p = heatmapMaxima(pred.subarray(n * K * H * W, (n + 1) * K * H * W), K, H, W).keypoints;
    const g = heatmapMaxima(target.subarray(n * K * H * W, (n + 1) * K * H * W), K, H, W).keypoints;
    for (let k = 0; k < K; k++) {
      if (!mask[n * K + k]) continue;
      const dx = (p[2 * k] - g[2 * k]) / H;
      const dy = (p[2 * k + 1] - g[2 * k + 1]) / W;
      dists[k].push(Math.hypot(dx, dy));
    }
  }
  const acc = dists.filter((d) => d.length > 0).map((d) => d.filter((v) => v < thr).length / d.length);
  return acc.length ? acc.reduce((a, b) => a + b, 0) / acc.length : 0;
}
