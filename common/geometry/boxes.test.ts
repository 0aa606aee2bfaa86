import { describe, expect, it } from 'vitest';
import { boxIou, nms } from './boxes.js';

describe('boxIou', () => {
  it('matches hand-computed overlaps', () => {
    expect(boxIou([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(50 / 150, 12);
    expect(boxIou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
    expect(boxIou([0, 0, 10, 10], [10, 0, 20, 10])).toBe(0); // touching edges
    expect(boxIou([0, 0, 0, 0], [0, 0, 0, 0])).toBe(0); // empty union, not NaN
  });
});

describe('nms', () => {
  // Box 0 (cat, 0.9) and box 1 (dog, 0.8) overlap with IoU 0.81; box 2 (cat, 0.7) overlaps box 0 with IoU 0.68;
  // box 3 stands alone.
  const boxes = [
    [0, 0, 10, 10],
    [1, 1, 10, 10],
    [0, 0, 10, 6.8],
    [50, 50, 60, 60],
  ];
  const scores = [0.9, 0.8, 0.7, 0.6];
  const classes = [0, 1, 0, 0];

  it('suppresses only within a class when class-aware', () => {
    const r = nms(boxes, scores, 0.5, { classes });
    expect(r.kept).toEqual([0, 1, 3]);
    expect(r.suppressed).toEqual([{ index: 2, by: 0 }]);
  });

  it('suppresses across classes when agnostic', () => {
    const r = nms(boxes, scores, 0.5, { classes, agnostic: true });
    expect(r.kept).toEqual([0, 3]);
    expect(r.suppressed).toEqual([
      { index: 1, by: 0 },
      { index: 2, by: 0 },
    ]);
  });

  it('visits by score, keeps input order among ties and stops at maxDetections', () => {
    const r = nms([[0, 0, 1, 1], [5, 5, 6, 6], [9, 9, 10, 10], [0, 0, 1, 1]], [0.5, 0.9, 0.5, 0.5], 0.5);
    expect(r.kept).toEqual([1, 0, 2]);
    expect(r.suppressed).toEqual([{ index: 3, by: 0 }]);
    expect(nms(boxes, scores, 0.5, { classes, maxDetections: 2 }).kept).toEqual([0, 1]);
  });

  it('keeps overlaps exactly at the threshold, like torchvision (IoU > threshold suppresses)', () => {
    const r = nms([[0, 0, 10, 10], [5, 0, 15, 10]], [0.9, 0.8], 1 / 3);
    expect(r.kept).toEqual([0, 1]);
  });

  it('says when inputs disagree in length', () => {
    expect(() => nms(boxes, [1], 0.5)).toThrow(/4 boxes but 1 scores/);
  });
});
