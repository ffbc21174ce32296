import type { Tensor } from '../core/tensor';

/** Named tensors in a stable order: a model's raw inputs and outputs in `tensor` mode. */
export type NamedTensors = Map<string, Tensor>;

/**
 * Named losses in the order the heads produce them (mmdet's loss dict). Entries whose name
 * contains `loss` are summed into the total that is back-propagated (mmengine's parse_losses);
 * the others (`acc`, `acc_pose`, ...) are logged only.
 */
export type LossDict = Map<string, Tensor>;
