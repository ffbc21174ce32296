import { expect } from 'chai';
import { Random } from '../../../src/core/random';
import { COCO_FLIP_PAIRS, COCO_KEYPOINTS, COCO_SKELETON, drawPoseImage, POSE_CATEGORY } from '../../../src/data/synthetic/pose-generator';
import { evaluateCoco } from '../../../src/evaluation/coco';

const H = 192;
const W = 256;
const images = Array.from({ length: 40 }, (_, i) => drawPoseImage(Random.derive(2, 0, i), H, W));
const people = images.flatMap((im, i) => im.annotations.map((a) => ({ ...a, image: i })));

describe('data: synthetic pose images', () => {
  it("describes COCO's person: 17 keypoints, its skeleton, left/right flip pairs", () => {
    expect(COCO_KEYPOINTS).to.have.length(17);
    expect(POSE_CATEGORY.keypoints).to.deep.equal([...COCO_KEYPOINTS]);
    for (const [a, b] of COCO_SKELETON) expect(a >= 1 && a <= 17 && b >= 1 && b <= 17).to.equal(true);
    for (const [l, r] of COCO_FLIP_PAIRS) expect(COCO_KEYPOINTS[l].replace('left_', 'right_')).to.equal(COCO_KEYPOINTS[r]);
    expect(COCO_FLIP_PAIRS.flat().length + 1).to.equal(17); // every keypoint but the nose has a partner
  });

  it('has 17 (x, y, v) triples per person: v=0 outside the image at (0, 0), visible ones inside the box', () => {
    expect(people.length).to.be.greaterThan(50);
    const seen = [0, 0, 0];
    for (const p of people) {
      const [bx, by, bw, bh] = p.bbox;
      expect(bx >= 0 && by >= 0 && bw > 0 && bh > 0 && bx + bw <= W && by + bh <= H, JSON.stringify(p.bbox)).to.equal(true);
      expect(p.keypoints).to.have.length(51);
      let labelled = 0;
      for (let k = 0; k < 17; k++) {
        const [x, y, v] = p.keypoints.slice(3 * k, 3 * k + 3);
        seen[v]++;
        if (v === 0) expect([x, y]).to.deep.equal([0, 0]);
        else {
          labelled++;
          expect(x >= 0 && x < W && y >= 0 && y < H, `keypoint ${k} at ${x},${y}`).to.equal(true);
        }
        if (v === 2) expect(x >= bx && x < bx + bw && y >= by && y < by + bh, `${COCO_KEYPOINTS[k]} at ${x},${y} outside ${p.bbox}`).to.equal(true);
      }
      expect(p.num_keypoints).to.equal(labelled);
      expect(p.area).to.be.greaterThan(0).and.at.most(bw * bh);
    }
    // all three visibility states occur
    for (const v of [0, 1, 2]) expect(seen[v], `v=${v}`).to.be.greaterThan(10);
  });

  it('is keypoint ground truth that COCOeval reads and scores 1.0 against itself', () => {
    const gt = {
      images: images.map((_, i) => ({ id: i + 1, file_name: `${i}.jpg`, height: H, width: W })),
      annotations: people.map((p, k) => ({ ...p, id: k + 1, image_id: p.image + 1 })),
      categories: [POSE_CATEGORY],
    };
    const results = gt.annotations.map((a) => ({ image_id: a.image_id, category_id: 1, keypoints: a.keypoints, score: 1 }));
    const { stats } = evaluateCoco(gt, results, 'keypoints');
    expect(stats[0]).to.equal(1);
  });

  it('is deterministic for a stream', () => {
    const a = drawPoseImage(Random.derive(9, 1, 4), 64, 48);
    const b = drawPoseImage(Random.derive(9, 1, 4), 64, 48);
    expect(Buffer.from(a.image.data).equals(Buffer.from(b.image.data))).to.equal(true);
    expect(a.annotations).to.deep.equal(b.annotations);
  });
});
