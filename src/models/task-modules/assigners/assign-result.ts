/**
 * mmdetection's AssignResult, on the host: for each prior, `gtInds` is 0 (negative), -1
 * (ignored) or k >= 1 (positive for GT k-1, 1-based as mmdetection stores it); `maxOverlaps`
 * its best overlap with any GT (-1 where an ignore region removed it); `labels` the class of
 * its GT for positives, -1 elsewhere.
 */
export class AssignResult {
  constructor(
    readonly numGts: number,
    readonly gtInds: Int32Array,
    readonly maxOverlaps: Float32Array,
    readonly labels: Int32Array,
  ) {
    if (maxOverlaps.length !== gtInds.length || labels.length !== gtInds.length) {
      throw new Error(`AssignResult: gt_inds (${gtInds.length}), max_overlaps (${maxOverlaps.length}) and labels (${labels.length}) differ in length`);
    }
  }

  get numPriors(): number {
    return this.gtInds.length;
  }

  /**
   * mmdetection's `add_gt_`: the GT boxes prepended as priors, each assigned to itself with
   * overlap 1 (samplers with `add_gt_as_proposals`). Returns a new result.
   */
  withGtAsProposals(gtLabels: Int32Array): AssignResult {
    const g = gtLabels.length;
    const gtInds = new Int32Array(g + this.numPriors);
    for (let i = 0; i < g; i++) gtInds[i] = i + 1;
    gtInds.set(this.gtInds, g);
    const maxOverlaps = new Float32Array(g + this.numPriors).fill(1, 0, g);
    maxOverlaps.set(this.maxOverlaps, g);
    const labels = new Int32Array(g + this.numPriors);
    labels.set(gtLabels);
    labels.set(this.labels, g);
    return new AssignResult(this.numGts, gtInds, maxOverlaps, labels);
  }
}
