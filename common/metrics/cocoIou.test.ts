/**
 * The overlap measures (cocoIou.ts) on hand-computed cases: box IoU (maskApi.c bbIou), mask IoU (rleIou, with
 * its box pre-check and the -1 of masks of other sizes), OKS (cocoeval.py computeOks, both branches), numpy's
 * pairwise sum, and a keypoint result's box.
 */
import { describe, expect, it } from 'vitest';
import { encodeRle } from '../geometry/rle.js';
import { bboxIou, keypointResultBox, maskIou, oks, pairwiseSum, prepareMask } from './cocoIou.js';

/** A row-major 0/1 mask (rows of equal length), prepared for maskIou. */
const mask = (rows: number[][]) => prepareMask(encodeRle(rows.flat(), rows[0].length, rows.length));

describe('bboxIou', () => {
  it('intersection over union; over the detection area for a crowd', () => {
    // Overlap 5 × 10 = 50; union 100 + 100 - 50 = 150; crowd: the detection's 100.
    expect(bboxIou([0, 0, 10, 10], [5, 0, 10, 10])).toBe(1 / 3);
    expect(bboxIou([0, 0, 10, 10], [5, 0, 10, 10], false)).toBe(1 / 3);
    expect(bboxIou([0, 0, 10, 10], [5, 0, 10, 10], true)).toBe(0.5);
    // A small detection inside a big crowd region is fully covered.
    expect(bboxIou([20, 20, 2, 3], [0, 0, 100, 100], true)).toBe(1);
  });

  it('is 0 for boxes apart in x or in y, or only touching', () => {
    expect(bboxIou([0, 0, 10, 10], [30, 0, 10, 10])).toBe(0);
    expect(bboxIou([0, 0, 10, 10], [0, 30, 10, 10])).toBe(0);
    expect(bboxIou([0, 0, 10, 10], [10, 0, 10, 10])).toBe(0);
    expect(bboxIou([0, 0, 10, 10], [0, 10, 10, 10])).toBe(0);
    // Apart in x but overlapping in y, and the other way round: still 0, never negative.
    expect(bboxIou([0, 0, 10, 10], [30, 5, 10, 10], true)).toBe(0);
    expect(bboxIou([0, 0, 10, 10], [5, 30, 10, 10], true)).toBe(0);
  });

  it('is 0 (not NaN) for zero-width or zero-height boxes on each other', () => {
    expect(bboxIou([1, 1, 0, 5], [1, 1, 0, 5])).toBe(0);
    expect(bboxIou([1, 1, 5, 0], [1, 1, 5, 0])).toBe(0);
  });
});

describe('maskIou', () => {
  // 4x4: columns 0-1 and columns 1-2 share column 1 (4 pixels); each has 8.
  const left = mask([
    [1, 1, 0, 0],
    [1, 1, 0, 0],
    [1, 1, 0, 0],
    [1, 1, 0, 0],
  ]);
  const mid = mask([
    [0, 1, 1, 0],
    [0, 1, 1, 0],
    [0, 1, 1, 0],
    [0, 1, 1, 0],
  ]);

  it('pixels in common over the union; over the detection area for a crowd', () => {
    expect(maskIou(left, mid)).toBe(4 / 12);
    expect(maskIou(left, mid, false)).toBe(4 / 12);
    expect(maskIou(left, mid, true)).toBe(4 / 8);
    expect(maskIou(left, left)).toBe(1);
  });

  it('is 0 when the boxes overlap but no pixel does', () => {
    const a = mask([
      [1, 0],
      [0, 1],
    ]);
    const b = mask([
      [0, 1],
      [1, 0],
    ]);
    expect(maskIou(a, b)).toBe(0);
    expect(maskIou(a, b, true)).toBe(0);
  });

  it('masks of another image size: -1 where the boxes overlap, 0 where they do not (the box check comes first)', () => {
    // 5 wide, 4 high: columns 1-2 (box overlaps `left`), and columns 3-4 (box apart from `left`).
    const wider = mask([
      [0, 1, 1, 0, 0],
      [0, 1, 1, 0, 0],
      [0, 1, 1, 0, 0],
      [0, 1, 1, 0, 0],
    ]);
    const widerApart = mask([
      [0, 0, 0, 1, 1],
      [0, 0, 0, 1, 1],
      [0, 0, 0, 1, 1],
      [0, 0, 0, 1, 1],
    ]);
    // 4 wide, 5 high: the same width, another height.
    const taller = mask([
      [0, 1, 1, 0],
      [0, 1, 1, 0],
      [0, 1, 1, 0],
      [0, 1, 1, 0],
      [0, 0, 0, 0],
    ]);
    expect(maskIou(left, wider)).toBe(-1);
    expect(maskIou(left, taller)).toBe(-1);
    expect(maskIou(taller, left, true)).toBe(-1);
    expect(maskIou(left, widerApart)).toBe(0);
  });
});

describe('oks', () => {
  // e_i = d_i² / (2σ_i)² / (area + eps) / 2, OKS = mean of exp(-e_i) over the labelled gt points.
  it('averages exp(-e) over the labelled ground-truth points; the detection visibility is not looked at', () => {
    // Point 0: d² = 3² + 4² = 25, (2 × 0.1)² = 0.04, area 100: e = 25 / 0.04 / 100 / 2 = 3.125.
    // Point 1: exact, e = 0. Point 2: not labelled (v = 0), left out.
    const gt = { keypoints: [0, 0, 2, 10, 0, 1, 50, 50, 0], bbox: [0, 0, 10, 10], area: 100, sigmas: [0.1, 0.2, 0.3] };
    const v = oks([3, 4, 0, 10, 0, 0, 0, 0, 0], gt);
    expect(v).toBeCloseTo((Math.exp(-3.125) + 1) / 2, 12);
    // Only x moves: d² = 9 → e = 9 / 0.04 / 100 / 2 = 1.125; only y: d² = 16 → e = 2.
    expect(oks([3, 0, 0, 10, 0, 0, 0, 0, 0], gt)).toBeCloseTo((Math.exp(-1.125) + 1) / 2, 12);
    expect(oks([0, 4, 0, 10, 0, 0, 0, 0, 0], gt)).toBeCloseTo((Math.exp(-2) + 1) / 2, 12);
  });

  it('a ground truth of area 0 takes only exact points (area + eps, never a division by 0 or a negative area)', () => {
    const gt = { keypoints: [0, 0, 2, 10, 0, 2], bbox: [0, 0, 10, 10], area: 0, sigmas: [0.1, 0.1] };
    expect(oks([0, 0, 2, 11, 0, 2], gt)).toBe(0.5);
  });

  it('without labelled points: the distance outside the gt box grown by its size on every side, over all points', () => {
    // Box [10, 10, 10, 10] grown: x 0..30, y 0..30. Point 0 (5, 5) inside: e = 0. Point 1 (35, -2): 5 right and
    // 2 above: d² = 29, (2 × 0.2)² = 0.16, e = 29 / 0.16 / 100 / 2 = 0.90625.
    const gt = { keypoints: [12, 15, 0, 18, 11, 0], bbox: [10, 10, 10, 10], area: 100, sigmas: [0.1, 0.2] };
    expect(oks([5, 5, 2, 35, -2, 2], gt)).toBeCloseTo((1 + Math.exp(-0.90625)) / 2, 12);
    // Left of and below the grown box: (-3, 40): 3 left, 10 below: d² = 109 with σ 0.1: e = 109 / 0.04 / 100 / 2.
    expect(oks([-3, 40, 1, 20, 20, 1], gt)).toBeCloseTo((Math.exp(-109 / 0.04 / 100 / 2) + 1) / 2, 12);
  });

  it('uses a scratch buffer only when it is long enough; the result does not depend on it', () => {
    const gt = { keypoints: [0, 0, 2, 10, 0, 2, 20, 0, 2], bbox: [0, 0, 20, 1], area: 100, sigmas: [0.1, 0.2, 0.3] };
    const dt = [3, 4, 2, 10, 0, 2, 20, 0, 2];
    const expected = (Math.exp(-3.125) + 1 + 1) / 3;
    expect(oks(dt, gt)).toBeCloseTo(expected, 12);
    expect(oks(dt, gt, new Float64Array(2).fill(7))).toBeCloseTo(expected, 12);
    expect(oks(dt, gt, new Float64Array(3).fill(7))).toBeCloseTo(expected, 12);
    expect(oks(dt, gt, new Float64Array(64).fill(7))).toBeCloseTo(expected, 12);
  });

  it('refuses point lists that do not fit the sigmas', () => {
    const gt = { keypoints: [0, 0, 2, 1, 1, 2], bbox: [0, 0, 1, 1], area: 1, sigmas: [0.1, 0.1] };
    expect(() => oks([0, 0, 2, 1, 1, 2], { ...gt, keypoints: [0, 0, 2] })).toThrow('ground-truth keypoints hold 3 numbers; 2 sigmas need 6');
    expect(() => oks([0, 0, 2, 1, 1, 2, 5, 5, 2], gt)).toThrow('detected keypoints hold 9 numbers; 2 sigmas need 6');
  });
});

describe('pairwiseSum', () => {
  // Expected values: numpy 2.4 `np.sum(np.sqrt(np.arange(1, n + 1, dtype=np.float64)))`, whose float64 reduction is
  // this pairwise sum; each n exercises one branch, and a plain running sum rounds differently for n = 27, 128.
  const roots = (n: number) => Array.from({ length: n }, (_, i) => Math.sqrt(i + 1));

  it("matches numpy's rounding under 8, at 8, in one block and split in two", () => {
    expect(pairwiseSum(roots(5), 5)).toBe(Math.sqrt(1) + Math.sqrt(2) + Math.sqrt(3) + Math.sqrt(4) + Math.sqrt(5));
    expect(pairwiseSum(roots(8), 8)).toBe(16.306000526035724);
    expect(pairwiseSum(roots(27), 27)).toBe(95.92895221137756);
    expect(pairwiseSum(roots(128), 128)).toBe(970.8891094495568);
    expect(pairwiseSum(roots(200), 200)).toBe(1892.484211028349);
  });

  it('sums n terms from an offset', () => {
    expect(pairwiseSum([1e9, ...roots(27), 1e9], 27, 1)).toBe(95.92895221137756);
    expect(pairwiseSum([1e9, 1, 2, 3, 1e9], 3, 1)).toBe(6);
    expect(pairwiseSum([], 0)).toBe(0);
  });
});

describe('keypointResultBox', () => {
  it('the extent of all points, whatever their visibility', () => {
    expect(keypointResultBox([5, 7, 2, 1, 9, 0, 3, 2, 1])).toEqual([1, 2, 4, 7]);
    expect(keypointResultBox([4, 4, 0])).toEqual([4, 4, 0, 0]);
  });

  it('is all zeros without points', () => {
    expect(keypointResultBox([])).toEqual([0, 0, 0, 0]);
  });
});
