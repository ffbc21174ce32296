import { expect } from 'chai';
import { hostTensor } from '../../../src/core/host-tensor';
import { DetDataPreprocessor, detDataPreprocessorSchema } from '../../../src/models/data-preprocessors/det-data-preprocessor';
import { SegDataPreprocessor, segDataPreprocessorSchema } from '../../../src/models/data-preprocessors/seg-data-preprocessor';
import { ClsDataPreprocessor, clsDataPreprocessorSchema } from '../../../src/models/data-preprocessors/cls-data-preprocessor';
import { DetDataSample } from '../../../src/structures/det-data-sample';
import { SegDataSample } from '../../../src/structures/seg-data-sample';
import { ClsDataSample } from '../../../src/structures/cls-data-sample';
import { PixelData } from '../../../src/structures/pixel-data';
import { describeOnBackends } from '../../core/helpers/backends';

/** A 3-channel uint8 image whose channel c holds value base + c everywhere. */
const image = (h: number, w: number, base: number) =>
  hostTensor('uint8', [3, h, w], Uint8Array.from({ length: 3 * h * w }, (_, i) => base + Math.floor(i / (h * w))));

describeOnBackends('data preprocessors', (h) => {
  it('DetDataPreprocessor: BGR→RGB, (x - mean) / std, batch padded to the divisor with pad_value, metas recorded', () => {
    const p = new DetDataPreprocessor(detDataPreprocessorSchema.parse({ mean: [1, 2, 3], std: [2, 4, 8], bgr_to_rgb: true, pad_size_divisor: 4, pad_value: -1 }));
    const samples = [new DetDataSample(), new DetDataSample()];
    const { inputs } = h.run(() => p.process({ inputs: [image(3, 5, 10), image(2, 2, 20)], data_samples: samples }, false));
    expect(inputs.shape).to.deep.equal([2, 3, 4, 8]);
    const v = h.read(inputs).data as Float32Array;
    // image 0, output channel 0 = input channel 2 (value 12): (12 - 1) / 2
    expect(v[0]).to.equal(5.5);
    // output channel 2 = input channel 0 (value 10): (10 - 3) / 8
    expect(v[2 * 32]).to.equal(0.875);
    // padding (row 0, column 5 is outside the 3×5 image) holds pad_value
    expect(v[5]).to.equal(-1);
    expect(samples[0].metainfo.batch_input_shape).to.deep.equal([4, 8]);
    expect(samples[0].metainfo.pad_shape).to.deep.equal([4, 8]);
    expect(samples[1].metainfo.pad_shape).to.deep.equal([4, 4]);
  });

  it('DetDataPreprocessor: mismatched images and samples, and half a normalisation, are errors', () => {
    const p = new DetDataPreprocessor(detDataPreprocessorSchema.parse({}));
    expect(() => h.run(() => p.process({ inputs: [image(2, 2, 0)], data_samples: [] }, false))).to.throw(/1 images but 0 data samples/);
    expect(() => new DetDataPreprocessor(detDataPreprocessorSchema.parse({ mean: [1, 2, 3] }))).to.throw(/mean and std are given together/);
  });

  it("SegDataPreProcessor: training pads images and label maps to `size`, with seg_pad_val, and records padding_size", () => {
    const p = new SegDataPreprocessor(segDataPreprocessorSchema.parse({ size: [4, 4], seg_pad_val: 255, pad_val: 0 }));
    const s = new SegDataSample();
    s.gt_sem_seg = new PixelData(Uint8Array.of(1, 2, 3, 4, 5, 6), [1, 2, 3]);
    const { inputs, data_samples } = h.run(() => p.process({ inputs: [image(2, 3, 0)], data_samples: [s] }, true));
    expect(inputs.shape).to.deep.equal([1, 3, 4, 4]);
    expect(data_samples[0].metainfo.padding_size).to.deep.equal([0, 1, 0, 2]);
    expect([...data_samples[0].gt_sem_seg!.array]).to.deep.equal([1, 2, 3, 255, 4, 5, 6, 255, 255, 255, 255, 255, 255, 255, 255, 255]);
  });

  it('ClsDataPreprocessor: to_rgb swaps channels; to_onehot makes soft targets', () => {
    const p = new ClsDataPreprocessor(clsDataPreprocessorSchema.parse({ to_rgb: true, num_classes: 4, to_onehot: true }));
    const s = new ClsDataSample();
    s.gt_label = Int32Array.of(2);
    const { inputs } = h.run(() => p.process({ inputs: [image(1, 1, 7)], data_samples: [s] }, true));
    expect([...h.read(inputs).data]).to.deep.equal([9, 8, 7]);
    expect([...s.gt_score!]).to.deep.equal([0, 0, 1, 0]);
  });
});
