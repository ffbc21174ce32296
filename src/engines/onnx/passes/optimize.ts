import type { Graph } from '../graph';
import { foldBatchNorm } from './bn-folding';
import { foldConstants } from './constant-folding';
import { eliminateDeadNodes } from './dead-nodes';
import { cleanupLayout } from './layout-cleanup';

export interface OptimizeReport {
  batchNormsFolded: number;
  constantsFolded: number;
  layoutNodesRemoved: number;
  deadNodesRemoved: number;
}

/** Export-time graph hygiene, in an order where each pass feeds the next. */
export function optimizeGraph(g: Graph, opts: { foldBatchNorm?: boolean } = {}): OptimizeReport {
  let constantsFolded = foldConstants(g);
  const layoutNodesRemoved = cleanupLayout(g);
  const batchNormsFolded = opts.foldBatchNorm === false ? 0 : foldBatchNorm(g);
  constantsFolded += foldConstants(g);
  const deadNodesRemoved = eliminateDeadNodes(g);
  return { batchNormsFolded, constantsFolded, layoutNodesRemoved, deadNodesRemoved };
}
