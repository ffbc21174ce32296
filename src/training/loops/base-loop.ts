import type { DataLoader } from '../../data/loader';
import type { Runner } from '../runner/runner';

/** mmengine's BaseLoop: a loop runs over one data loader on behalf of the runner. */
export abstract class BaseLoop {
  constructor(
    readonly runner: Runner,
    readonly dataloader: DataLoader,
  ) {}

  abstract run(): Promise<unknown>;
}
