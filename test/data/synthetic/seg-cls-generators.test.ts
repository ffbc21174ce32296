import { expect } from 'chai';
import { Random } from '../../../src/core/random';
import { CLS_CLASSES, clsTask, drawClsImage } from '../../../src/data/synthetic/cls-generator';
import { drawSegImage, SEG_CLASSES, SEG_PALETTE } from '../../../src/data/synthetic/seg-generator';

describe('data: synthetic segmentation and classification images', () => {
  it('segmentation: one-channel label maps of class indices, every class present over a few images', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 12; i++) {
      const { image, labels } = drawSegImage(Random.derive(1, 0, i), 96, 80);
      expect([image.height, image.width, image.channels, labels.height, labels.width, labels.channels]).to.deep.equal([96, 80, 3, 96, 80, 1]);
      for (const v of labels.data) seen.add(v);
    }
    expect([...seen].sort()).to.deep.equal(SEG_CLASSES.map((_, i) => i));
    expect(SEG_PALETTE).to.have.length(SEG_CLASSES.length);
  });

  it('classification: classes take turns, the list line names the folder and label of the image', () => {
    const task = clsTask();
    const lines = Array.from({ length: 13 }, (_, i) => {
      const s = task.sample(Random.derive(0, 0, i), 'train', i, 32, 32);
      const [path, label] = s.record.split(' ');
      expect(s.files[0].path).to.equal(`train/${path}`);
      expect(path.split('/')[0]).to.equal(CLS_CLASSES[Number(label)]);
      return Number(label);
    });
    expect(lines).to.deep.equal([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 0]);
    const a = drawClsImage(Random.derive(4, 0, 0), 40, 40, 2);
    const b = drawClsImage(Random.derive(4, 0, 0), 40, 40, 2);
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).to.equal(true);
  });
});
