import { describe, expect, it } from 'vitest';
import {
  convexHull,
  labelComponents,
  maskToPolygons,
  minAreaRect,
  offsetConvexPolygon,
  polygonArea,
  polygonPerimeter,
  polygonToMask,
  signedArea,
  simplifyRing,
} from './polygon.js';

/** Parse a picture: '#' = 1, '.' = 0, one string per row. */
function picture(rows: string[]): { mask: Uint8Array; width: number; height: number } {
  const width = rows[0].length, height = rows.length;
  const mask = new Uint8Array(width * height);
  rows.forEach((r, y) => [...r].forEach((c, x) => (mask[y * width + x] = c === '#' ? 1 : 0)));
  return { mask, width, height };
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** Holes filled: background pixels that 4-connected background cannot reach from the border become 1. */
function fillHoles(mask: Uint8Array, w: number, h: number): Uint8Array {
  const outside = new Uint8Array(w * h);
  const stack: number[] = [];
  for (let i = 0; i < w * h; i++) {
    const x = i % w, y = (i / w) | 0;
    if (!mask[i] && (x === 0 || y === 0 || x === w - 1 || y === h - 1)) (outside[i] = 1), stack.push(i);
  }
  while (stack.length) {
    const i = stack.pop()!;
    const x = i % w, y = (i / w) | 0;
    for (const [xx, yy] of [[x + 1, y], [x - 1, y], [x, y + 1], [x, y - 1]]) {
      const k = yy * w + xx;
      if (xx >= 0 && yy >= 0 && xx < w && yy < h && !mask[k] && !outside[k]) (outside[k] = 1), stack.push(k);
    }
  }
  return outside.map((o) => 1 - o);
}

describe('measures', () => {
  it('computes area and perimeter', () => {
    expect(polygonArea([0, 0, 4, 0, 4, 3])).toBe(6);
    expect(signedArea([0, 0, 4, 0, 4, 3])).toBe(6); // clockwise on screen (y down)
    expect(signedArea([0, 0, 4, 3, 4, 0])).toBe(-6);
    expect(polygonPerimeter([0, 0, 4, 0, 4, 3])).toBe(12);
  });
});

describe('polygonToMask', () => {
  it('takes pixels whose centre is inside', () => {
    const m = polygonToMask([1, 1, 4, 1, 4, 3, 1, 3], 6, 5);
    expect([...m]).toEqual([
      0, 0, 0, 0, 0, 0,
      0, 1, 1, 1, 0, 0,
      0, 1, 1, 1, 0, 0,
      0, 0, 0, 0, 0, 0,
      0, 0, 0, 0, 0, 0,
    ]);
    // Centres on the hypotenuse x + y = 3 are on a right-hand edge: outside (top-left rule, no double counting).
    expect([...polygonToMask([0, 0, 3, 0, 0, 3], 3, 3)]).toEqual([1, 1, 0, 1, 0, 0, 0, 0, 0]);
    expect([...polygonToMask([0, 0, 3, 0, 3, 3], 3, 3)]).toEqual([1, 1, 1, 0, 1, 1, 0, 0, 1]); // here it is a left edge
    expect([...polygonToMask([1.2, 0, 1.8, 0, 1.8, 3, 1.2, 3], 3, 3)]).toEqual([0, 1, 0, 0, 1, 0, 0, 1, 0]);
    expect([...polygonToMask([0.6, 0, 0.9, 0, 0.9, 3, 0.6, 3], 3, 3)]).toEqual(new Array(9).fill(0));
  });

  it('makes holes with the even-odd rule and clips to the image', () => {
    const m = polygonToMask([[0, 0, 5, 0, 5, 5, 0, 5], [1, 1, 4, 1, 4, 4, 1, 4]], 5, 5);
    expect(m.reduce((a, b) => a + b, 0)).toBe(25 - 9);
    expect(m[2 * 5 + 2]).toBe(0);
    expect([...polygonToMask([-5, -5, 2, -5, 2, 10, -5, 10], 4, 3)]).toEqual([1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0]);
  });
});

describe('maskToPolygons', () => {
  it('traces pixel borders clockwise, corners only', () => {
    const { mask, width, height } = picture([
      '.....',
      '.##..',
      '.###.',
      '.....',
    ]);
    expect(maskToPolygons(mask, width, height)).toEqual([[1, 1, 3, 1, 3, 2, 4, 2, 4, 3, 1, 3]]);
  });

  it('joins diagonal neighbours (8-connectivity) and separates distant blobs', () => {
    const { mask, width, height } = picture([
      '#....',
      '.#..#',
      '....#',
    ]);
    const polys = maskToPolygons(mask, width, height);
    expect(polys).toHaveLength(2);
    expect(polys[0]).toEqual([0, 0, 1, 0, 1, 1, 2, 1, 2, 2, 1, 2, 1, 1, 0, 1]);
    expect(polygonToMask(polys[0], width, height)).toEqual(picture(['#....', '.#...', '.....']).mask);
    expect(labelComponents(mask, width, height, 4).count).toBe(3);
    expect(maskToPolygons(mask, width, height, { minArea: 2 })).toHaveLength(2);
    expect(maskToPolygons(mask, width, height, { minArea: 3 })).toHaveLength(0);
  });

  it('round-trips random masks: each outline rasterises to its component with holes filled', () => {
    for (let seed = 1; seed <= 15; seed++) {
      const rnd = lcg(seed);
      const w = 8 + (seed % 9), h = 6 + (seed % 7);
      const mask = new Uint8Array(w * h).map(() => (rnd() < 0.45 ? 1 : 0));
      const union = new Uint8Array(w * h);
      for (const ring of maskToPolygons(mask, w, h)) {
        expect(signedArea(ring)).toBeGreaterThan(0);
        polygonToMask(ring, w, h).forEach((v, i) => (union[i] |= v));
      }
      expect(union).toEqual(fillHoles(mask, w, h));
    }
  });

  it('simplifies with Douglas–Peucker within the tolerance', () => {
    const w = 40, h = 40;
    const disc = new Uint8Array(w * h).map((_, i) => (Math.hypot((i % w) + 0.5 - 20, Math.floor(i / w) + 0.5 - 20) < 15 ? 1 : 0));
    const [exact] = maskToPolygons(disc, w, h);
    const [coarse] = maskToPolygons(disc, w, h, { tolerance: 1 });
    expect(coarse.length).toBeLessThan(exact.length / 2);
    expect(coarse.length).toBeGreaterThanOrEqual(16);
    expect(Math.abs(polygonArea(coarse) - polygonArea(exact)) / polygonArea(exact)).toBeLessThan(0.03);
    // A square outline with extra collinear points keeps its four corners.
    expect(simplifyRing([0, 0, 5, 0, 10, 0, 10, 5, 10, 10, 5, 10, 0, 10, 0, 5], 0.5)).toEqual([0, 0, 10, 0, 10, 10, 0, 10]);
  });
});

describe('convex hull and minimum-area rectangle', () => {
  it('finds the hull clockwise on screen', () => {
    const hull = convexHull([0, 0, 2, 2, 4, 0, 4, 4, 0, 4, 1, 3, 4, 2, 0, 0]);
    expect(hull).toHaveLength(8);
    expect(signedArea(hull)).toBe(16);
    expect(convexHull([0, 0, 1, 1, 2, 2, 3, 3])).toEqual([0, 0, 3, 3]);
  });

  it('fits a rotated square exactly', () => {
    const r = minAreaRect([5, 0, 10, 5, 5, 10, 0, 5, 5, 5]);
    expect(r.width * r.height).toBeCloseTo(50, 9);
    expect(r.cx).toBeCloseTo(5, 9);
    expect(r.cy).toBeCloseTo(5, 9);
    expect(signedArea(r.points)).toBeCloseTo(50, 9);
  });

  it('agrees with trying every hull edge on random point sets', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const rnd = lcg(seed);
      const pts = Array.from({ length: 2 * (3 + (seed % 25)) }, () => rnd() * 100);
      const hull = convexHull(pts);
      let brute = Infinity;
      for (let i = 0; i < hull.length; i += 2) {
        const j = (i + 2) % hull.length;
        const len = Math.hypot(hull[j] - hull[i], hull[j + 1] - hull[i + 1]);
        const ux = (hull[j] - hull[i]) / len, uy = (hull[j + 1] - hull[i + 1]) / len;
        let a0 = Infinity, a1 = -Infinity, b0 = Infinity, b1 = -Infinity;
        for (let k = 0; k < pts.length; k += 2) {
          const a = pts[k] * ux + pts[k + 1] * uy, b = -pts[k] * uy + pts[k + 1] * ux;
          [a0, a1, b0, b1] = [Math.min(a0, a), Math.max(a1, a), Math.min(b0, b), Math.max(b1, b)];
        }
        brute = Math.min(brute, (a1 - a0) * (b1 - b0));
      }
      const r = minAreaRect(pts);
      expect(r.width * r.height).toBeCloseTo(brute, 6);
      expect(polygonArea(r.points)).toBeCloseTo(brute, 6);
      // every point inside (or on) the rectangle
      for (let k = 0; k < pts.length; k += 2) {
        const dx = pts[k] - r.cx, dy = pts[k + 1] - r.cy;
        const a = dx * Math.cos(r.angle) + dy * Math.sin(r.angle), b = -dx * Math.sin(r.angle) + dy * Math.cos(r.angle);
        expect(Math.abs(a)).toBeLessThanOrEqual(r.width / 2 + 1e-9);
        expect(Math.abs(b)).toBeLessThanOrEqual(r.height / 2 + 1e-9);
      }
    }
  });

  it('handles one point and a segment', () => {
    expect(minAreaRect([3, 4, 3, 4]).width).toBe(0);
    const seg = minAreaRect([0, 0, 3, 4, 6, 8]);
    expect(seg.width).toBeCloseTo(10, 12);
    expect(seg.height).toBe(0);
  });
});

describe('offsetConvexPolygon', () => {
  it('grows a square by the Minkowski sum with a disc', () => {
    const sq = [0, 0, 10, 0, 10, 10, 0, 10];
    const grown = offsetConvexPolygon(sq, 2);
    const exact = 100 + polygonPerimeter(sq) * 2 + Math.PI * 4;
    expect(Math.abs(polygonArea(grown) - exact) / exact).toBeLessThan(0.004); // inscribed arcs, maxError 0.1 px
    const r = minAreaRect(grown);
    expect(r.width).toBeCloseTo(14, 9);
    expect(r.height).toBeCloseTo(14, 9);
    expect(signedArea(grown)).toBeGreaterThan(0);
    // Orientation is preserved and the result does not depend on it.
    const ccw = offsetConvexPolygon([0, 0, 0, 10, 10, 10, 10, 0], 2);
    expect(signedArea(ccw)).toBeCloseTo(-polygonArea(grown), 9);
  });

  it('turns a segment into a stadium and a point into a disc', () => {
    const stadium = offsetConvexPolygon([0, 0, 10, 0], 1, 0.001);
    expect(polygonArea(stadium)).toBeCloseTo(20 + Math.PI, 2);
    expect(polygonArea(offsetConvexPolygon([5, 5], 3, 0.001))).toBeCloseTo(Math.PI * 9, 1);
    // The default 0.1 px error bound holds for a unit disc too.
    const disc = offsetConvexPolygon([0, 0], 1);
    for (let i = 0; i < disc.length; i += 2) expect(Math.hypot(disc[i], disc[i + 1])).toBeCloseTo(1, 12);
    expect(Math.PI - polygonArea(disc)).toBeLessThan(Math.PI * 2 * 0.1);
    expect(() => offsetConvexPolygon(stadium, -1)).toThrow(/negative/);
  });
});
