import { describe, expect, it } from 'vitest';
import { keypointExtent, polygonExtent } from './extent.js';

describe('extents', () => {
  it('a polygon: min and max of its vertices, as [x, y, w, h]', () => {
    expect(polygonExtent([10, 10, 120, 15, 100, 90, 20, 80])).toEqual([10, 10, 110, 80]);
    expect(polygonExtent([])).toEqual([0, 0, 0, 0]);
  });
  it('keypoints: only the labeled ones (v > 0)', () => {
    expect(keypointExtent([50, 40, 2, 30, 100, 1, 500, 500, 0])).toEqual([30, 40, 20, 60]);
    expect(keypointExtent([5, 5, 0])).toEqual([0, 0, 0, 0]);
  });
});
