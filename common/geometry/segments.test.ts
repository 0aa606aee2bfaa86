import { describe, expect, it } from 'vitest';
import { pointInRing, polylineSelfIntersects, ringSelfIntersection, segmentDistance, segmentsIntersect } from './segments.js';

describe('segmentDistance', () => {
  it('measures to the nearest point of the segment and says where it lies', () => {
    expect(segmentDistance(5, 3, 0, 0, 10, 0)).toEqual({ d: 3, t: 0.5 });
    expect(segmentDistance(-3, 4, 0, 0, 10, 0)).toEqual({ d: 5, t: 0 });
    expect(segmentDistance(1, 1, 2, 2, 2, 2)).toEqual({ d: Math.SQRT2, t: 0 });
  });
});

describe('pointInRing', () => {
  const square = [0, 0, 10, 0, 10, 10, 0, 10];
  it('tells inside from outside', () => {
    expect(pointInRing(5, 5, square)).toBe(true);
    expect(pointInRing(11, 5, square)).toBe(false);
    // A concave ring: the notch is outside.
    const u = [0, 0, 3, 0, 3, 3, 2, 3, 2, 1, 1, 1, 1, 3, 0, 3];
    expect(pointInRing(1.5, 2, u)).toBe(false);
    expect(pointInRing(0.5, 2, u)).toBe(true);
  });
});

describe('segmentsIntersect', () => {
  it('finds crossings, touches and collinear overlaps, and not parallel misses', () => {
    expect(segmentsIntersect(0, 0, 10, 10, 0, 10, 10, 0)).toBe(true);
    expect(segmentsIntersect(0, 0, 10, 0, 5, 0, 5, 5)).toBe(true);
    expect(segmentsIntersect(0, 0, 10, 0, 5, 0, 15, 0)).toBe(true);
    expect(segmentsIntersect(0, 0, 10, 0, 0, 1, 10, 1)).toBe(false);
    expect(segmentsIntersect(0, 0, 10, 0, 11, 0, 15, 0)).toBe(false);
  });
});

describe('ringSelfIntersection', () => {
  it('accepts simple rings, convex and concave', () => {
    expect(ringSelfIntersection([0, 0, 10, 0, 10, 10, 0, 10])).toBeNull();
    expect(ringSelfIntersection([0, 0, 3, 0, 3, 3, 2, 3, 2, 1, 1, 1, 1, 3, 0, 3])).toBeNull();
  });

  it('finds the crossing edges of a bow tie', () => {
    // Edges 0 (0,0→10,10) and 2 (10,0→0,10) cross.
    expect(ringSelfIntersection([0, 0, 10, 10, 10, 0, 0, 10])).toEqual([0, 2]);
  });

  it('counts a vertex touching another edge and a spike folding back', () => {
    expect(ringSelfIntersection([0, 0, 10, 0, 5, 10, 5, 0])).not.toBeNull();
    expect(ringSelfIntersection([0, 0, 10, 0, 5, 0, 5, 5])).not.toBeNull();
  });
});

describe('polylineSelfIntersects', () => {
  it('finds a crossing of non-neighbouring segments only', () => {
    expect(polylineSelfIntersects([0, 0, 10, 0, 10, 10])).toBe(false);
    expect(polylineSelfIntersects([0, 0, 10, 0, 10, 10, 5, -5])).toBe(true);
  });
});
