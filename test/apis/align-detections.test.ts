import { expect } from 'chai';
import { hostTensor } from '../../src/core/host-tensor';
import { alignDetections } from '../../src/apis/align-detections';

describe('alignDetections: per-detection outputs in the reference order', () => {
  const ref = new Map([
    ['dets.0', hostTensor('float32', [3, 5], Float32Array.of(0, 0, 10, 10, 0.9, 5, 5, 20, 20, 0.5, 1, 1, 4, 4, 0.5))],
    ['labels.0', hostTensor('int32', [3], Int32Array.of(2, 1, 0))],
  ]);

  it('undoes a trade of two equal-score detections, masks and labels following', () => {
    const got = new Map([
      ['dets.0', hostTensor('float32', [3, 5], Float32Array.of(0, 0, 10, 10, 0.9, 1, 1, 4, 4, 0.5, 5, 5, 20, 20, 0.5))],
      ['labels.0', hostTensor('int32', [3], Int32Array.of(2, 0, 1))],
      ['masks.0', hostTensor('float32', [3, 1, 2], Float32Array.of(1, 1, 3, 3, 2, 2))],
      ['rcnn_cls_score', hostTensor('float32', [3, 1], Float32Array.of(7, 8, 9))],
    ]);
    const a = alignDetections(got, ref);
    expect(Array.from(a.get('dets.0')!.data as Float32Array)).to.deep.equal(Array.from(ref.get('dets.0')!.data as Float32Array));
    expect(Array.from(a.get('labels.0')!.data as Int32Array)).to.deep.equal([2, 1, 0]);
    expect(Array.from(a.get('masks.0')!.data as Float32Array)).to.deep.equal([1, 1, 2, 2, 3, 3]);
    // RoI-level outputs are not per detection: untouched
    expect(Array.from(a.get('rcnn_cls_score')!.data as Float32Array)).to.deep.equal([7, 8, 9]);
  });

  it('leaves detections that differ as they are', () => {
    const got = new Map([
      ['dets.0', hostTensor('float32', [3, 5], Float32Array.of(0, 0, 10, 10, 0.9, 1, 1, 4, 4, 0.5, 5, 5, 30, 20, 0.5))],
      ['labels.0', hostTensor('int32', [3], Int32Array.of(2, 0, 1))],
    ]);
    expect(Array.from(alignDetections(got, ref).get('labels.0')!.data as Int32Array)).to.deep.equal([2, 0, 1]);
  });
});
