import { expect } from 'chai';
import { Random } from '../../../src/core/random';
import { addMask, drawCapsule, emptyMask, maskArea, maskBox, overlapArea, polygonArea, polygonMask, subtractMask, type Point } from '../../../src/data/synthetic/raster';

/** Even-odd point-in-polygon by ray casting, one pixel centre at a time. */
function inside(pts: readonly Point[], x: number, y: number): boolean {
  let c = false;
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
    const [xi, yi] = pts[i];
    const [xj, yj] = pts[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) c = !c;
  }
  return c;
}

describe('data: synthetic raster', () => {
  it('fills polygons (convex, concave, self-intersecting, partly outside) exactly as a brute-force point test', () => {
    const rng = new Random(3);
    for (let t = 0; t < 40; t++) {
      const n = rng.between(3, 9);
      const pts = Array.from({ length: n }, () => [rng.uniform(-8, 40), rng.uniform(-8, 30)] as Point);
      const m = polygonMask(24, 33, pts);
      for (let y = 0; y < 24; y++) {
        for (let x = 0; x < 33; x++) expect(m.data[y * 33 + x], `polygon ${t} pixel ${x},${y}`).to.equal(inside(pts, x + 0.5, y + 0.5) ? 1 : 0);
      }
    }
  });

  it('covers a large polygon with about its area and keeps rows outside its span empty', () => {
    const square: Point[] = [[2, 3], [12, 3], [12, 9], [2, 9]];
    const m = polygonMask(20, 20, square);
    expect(maskArea(m)).to.equal(60);
    expect(polygonArea(square)).to.equal(60);
    expect(maskBox(m)).to.deep.equal([2, 3, 10, 6]);
    expect([m.y0 <= 3, m.y1 >= 9]).to.deep.equal([true, true]);
  });

  it('draws capsules as the pixels within the radius of the segment', () => {
    const m = emptyMask(16, 16);
    drawCapsule(m, [3, 4], [12, 10], 2.2);
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 16; x++) {
        const [px, py] = [x + 0.5 - 3, y + 0.5 - 4];
        const t = Math.max(0, Math.min(1, (px * 9 + py * 6) / (81 + 36)));
        const d = Math.hypot(px - 9 * t, py - 6 * t);
        expect(m.data[y * 16 + x], `${x},${y}`).to.equal(d <= 2.2 ? 1 : 0);
      }
    }
  });

  it('subtracts, adds and overlaps masks, counting what changed', () => {
    const a = polygonMask(10, 10, [[0, 0], [6, 0], [6, 6], [0, 6]]);
    const b = polygonMask(10, 10, [[4, 4], [10, 4], [10, 10], [4, 10]]);
    expect(overlapArea(a, b)).to.equal(4);
    expect(subtractMask(a, b)).to.equal(4);
    expect(maskArea(a)).to.equal(32);
    addMask(a, b);
    expect(maskArea(a)).to.equal(32 + 36);
    expect([a.y0, a.y1]).to.deep.equal([0, 10]);
    expect(maskBox(emptyMask(4, 4))).to.equal(null);
  });
});
