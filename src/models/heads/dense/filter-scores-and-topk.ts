/** The (point, class) candidates of one level that survive the score threshold and the top-k cut. */
export interface TopkCandidates {
  /** Candidate scores, descending. */
  scores: Float32Array;
  /** Row (point / prior) of each candidate. */
  rows: Int32Array;
  /** Class of each candidate. */
  labels: Int32Array;
}

/**
 * mmdetection's filter_scores_and_topk on host scores [rows, classes] (row-major): every
 * (row, class) pair scoring strictly above `scoreThr`, enumerated row-major / class-minor,
 * (compared in float32, as torch does), sorted by descending score, the first `topk` kept (`topk <= 0`: all). Equal scores keep
 * their enumeration order (torch's sort gives no order for exact ties).
 */
export function filterScoresAndTopk(scores: Float32Array, classes: number, scoreThr: number, topk: number): TopkCandidates {
  // torch compares a float32 tensor with a Python float in float32
  const thr = Math.fround(scoreThr);
  const idx: number[] = [];
  for (let i = 0; i < scores.length; i++) if (scores[i] > thr) idx.push(i);
  idx.sort((a, b) => scores[b] - scores[a] || a - b);
  const n = topk > 0 ? Math.min(topk, idx.length) : idx.length;
  const out: TopkCandidates = { scores: new Float32Array(n), rows: new Int32Array(n), labels: new Int32Array(n) };
  for (let j = 0; j < n; j++) {
    out.scores[j] = scores[idx[j]];
    out.rows[j] = Math.floor(idx[j] / classes);
    out.labels[j] = idx[j] % classes;
  }
  return out;
}
