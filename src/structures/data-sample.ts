import { TENSORS, type TensorContainer } from '../core/tensor-container';
import type { ImageMeta } from './image-meta';

/**
 * Base of the per-task data samples (mmengine's BaseDataElement): the image's metas plus
 * ground-truth and prediction fields that subclasses type. Fields holding engine tensors are
 * declared through `TENSORS`, so a result built inside a memory scope keeps them.
 */
export abstract class DataSample implements TensorContainer {
  metainfo: ImageMeta;

  constructor(metainfo: ImageMeta = {}) {
    this.metainfo = { ...metainfo };
  }

  setMetainfo(meta: ImageMeta): this {
    Object.assign(this.metainfo, meta);
    return this;
  }

  [TENSORS](): Iterable<unknown> {
    return Object.entries(this)
      .filter(([k]) => k !== 'metainfo')
      .map(([, v]) => v);
  }
}
