/** maskEdit.ts and segments.ts against plain pixel-by-pixel and textbook references on seeded random inputs. */
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.js';
import { paintStroke, reframeRle, RleProbe, shiftRle } from './maskEdit.js';
import { decodeRle, encodeRle } from './rle.js';
import { pointInRing, polylineSelfIntersects, ringSelfIntersection, segmentDistance, segmentsIntersect } from './segments.js';

const rand = mulberry32(99);
const int = (n: number) => Math.floor(rand() * n);
const randomMask = (w: number, h: number, p: number) => Uint8Array.from({ length: w * h }, () => (rand() < p ? 1 : 0));

describe('maskEdit', () => {
  it('paintStroke sets every pixel whose centre is within the radius of the segment, and the end pixels, clipped', () => {
    for (let trial = 0; trial < 60; trial++) {
      const w = 3 + int(12), h = 3 + int(12);
      const mask = randomMask(w, h, 0.3);
      const before = Uint8Array.from(mask);
      const [ax, ay, bx, by] = [rand() * (w + 6) - 3, rand() * (h + 6) - 3, rand() * (w + 6) - 3, rand() * (h + 6) - 3];
      const diameter = trial % 7 === 0 ? 0 : rand() * 6;
      const value = (trial % 2) as 0 | 1;
      const rect = paintStroke(mask, w, h, ax, ay, bx, by, diameter, value);
      const r = Math.max(0, diameter) / 2;
      const want = Uint8Array.from(before);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) if (segmentDistance(x + 0.5, y + 0.5, ax, ay, bx, by).d <= r) want[y * w + x] = value;
      }
      for (const [px, py] of [[ax, ay], [bx, by]]) {
        const ix = Math.floor(px), iy = Math.floor(py);
        if (ix >= 0 && iy >= 0 && ix < w && iy < h) want[iy * w + ix] = value;
      }
      expect(mask, `trial ${trial}`).toEqual(want);
      // The rectangle covers every changed pixel, and lies inside the image.
      for (let i = 0; i < mask.length; i++) {
        if (mask[i] === before[i]) continue;
        const x = i % w, y = Math.floor(i / w);
        expect(rect).not.toBeNull();
        expect(x >= rect!.x0 && x < rect!.x1 && y >= rect!.y0 && y < rect!.y1).toBe(true);
      }
      if (rect) expect(rect.x0 >= 0 && rect.y0 >= 0 && rect.x1 <= w && rect.y1 <= h && rect.x0 < rect.x1 && rect.y0 < rect.y1).toBe(true);
    }
    // Far off the image on either side: nothing, and null.
    expect(paintStroke(new Uint8Array(16), 4, 4, -20, 1, -10, 2, 2, 1)).toBeNull();
    expect(paintStroke(new Uint8Array(16), 4, 4, 1, -20, 2, -10, 2, 1)).toBeNull();
    expect(paintStroke(new Uint8Array(16), 4, 4, 20, 1, 30, 2, 2, 1)).toBeNull();
    expect(paintStroke(new Uint8Array(16), 4, 4, 1, 20, 2, 30, 2, 1)).toBeNull();
    // A brush exactly reaching a pixel centre paints it.
    const m = new Uint8Array(9);
    paintStroke(m, 3, 3, 0.5, 0.5, 0.5, 0.5, 2, 1);
    expect([...m]).toEqual([1, 1, 0, 1, 0, 0, 0, 0, 0]);
  });

  it('shiftRle moves the mask like moving every pixel, refusing to leave the image or move by a fraction', () => {
    let moves = 0;
    for (let trial = 0; trial < 80; trial++) {
      const w = 1 + int(8), h = 1 + int(8);
      const mask = new Uint8Array(w * h);
      // A blob somewhere, so that some moves keep it inside.
      const bx0 = int(w), by0 = int(h), bx1 = bx0 + int(w - bx0), by1 = by0 + int(h - by0);
      for (let y = by0; y <= by1; y++) for (let x = bx0; x <= bx1; x++) if (rand() < 0.7 || trial % 4 === 0) mask[y * w + x] = 1;
      // Mostly moves that keep the blob inside, some that do not.
      const dx = trial % 3 ? int(w - bx1 + bx0) - bx0 : int(2 * w + 1) - w;
      const dy = trial % 3 ? int(h - by1 + by0) - by0 : int(2 * h + 1) - h;
      const rle = encodeRle(mask, w, h);
      let fits = true;
      const moved = new Uint8Array(w * h);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          if (!mask[y * w + x]) continue;
          const nx = x + dx, ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= w || ny >= h) fits = false;
          else moved[ny * w + nx] = 1;
        }
      }
      if (!mask.some((v) => v)) {
        expect(shiftRle(rle, dx, dy)).toEqual(rle);
        continue;
      }
      if (fits) {
        const got = shiftRle(rle, dx, dy);
        expect(decodeRle(got), `trial ${trial}`).toEqual(moved);
        expect(got).toEqual(encodeRle(moved, w, h));
        moves++;
      }
      // A move that does not fit is the caller's to clamp (see shiftRle); only leaving by the first or last column
      // is detectable from the runs, checked below.
    }
    expect(moves).toBeGreaterThan(40);
    const one = encodeRle([0, 1, 0, 0], 2, 2);
    const same = shiftRle(one, 0, 0);
    expect(same).toEqual(one);
    expect(same.counts).not.toBe(one.counts);
    expect(() => shiftRle(one, 0.5, 0)).toThrow('a mask moves by whole pixels, got (0.5, 0)');
    expect(() => shiftRle(one, 0, 0.5)).toThrow('got (0, 0.5)');
    expect(() => shiftRle(one, 1, 0)).toThrow('moving the mask by (1, 0) takes it out of the 2×2 image');
    expect(() => shiftRle(encodeRle([1, 0, 0, 0], 2, 2), -1, 0)).toThrow('moving the mask by (-1, 0) takes it out of the 2×2 image');
    expect(shiftRle(one, -1, 0)).toEqual(encodeRle([1, 0, 0, 0], 2, 2));
    // Run to the end, moved back: zeros follow it; run from the start, moved on: no trailing empty run left.
    expect(shiftRle({ width: 2, height: 2, counts: [2, 2] }, -1, 0)).toEqual({ width: 2, height: 2, counts: [0, 2, 2] });
    expect(shiftRle({ width: 2, height: 2, counts: [0, 2, 2] }, 1, 0)).toEqual({ width: 2, height: 2, counts: [2, 2] });
  });

  it('reframeRle crops or extends the canvas at the top-left, like copying pixels', () => {
    for (let trial = 0; trial < 80; trial++) {
      const w = 1 + int(7), h = 1 + int(7), nw = 1 + int(9), nh = 1 + int(9);
      const mask = randomMask(w, h, [0, 0.5, 1][trial % 3]);
      const want = new Uint8Array(nw * nh);
      for (let y = 0; y < Math.min(h, nh); y++) for (let x = 0; x < Math.min(w, nw); x++) want[y * nw + x] = mask[y * w + x];
      const rle = encodeRle(mask, w, h);
      // With zero-length runs inside, too.
      const padded = { ...rle, counts: rle.counts.length > 1 ? [rle.counts[0], 0, 0, ...rle.counts.slice(1)] : rle.counts };
      expect(reframeRle(padded, nw, nh), `trial ${trial}`).toEqual(encodeRle(want, nw, nh));
    }
    const r = encodeRle([1, 0, 0, 1], 2, 2);
    const same = reframeRle(r, 2, 2);
    expect(same).toEqual(r);
    expect(same.counts).not.toBe(r.counts);
    expect(reframeRle({ width: 2, height: 2, counts: [4] }, 3, 1)).toEqual({ width: 3, height: 1, counts: [3] });
    expect(reframeRle({ width: 2, height: 2, counts: [0, 4] }, 1, 3)).toEqual({ width: 1, height: 3, counts: [0, 2, 1] });
  });

  it('RleProbe answers like the decoded mask, and false off the image', () => {
    for (let trial = 0; trial < 60; trial++) {
      const w = 1 + int(9), h = 1 + int(9);
      const mask = randomMask(w, h, [0, 0.3, 0.9, 1][trial % 4]);
      const rle = encodeRle(mask, w, h);
      const counts = [...rle.counts];
      if (counts.length > 2) counts.splice(2, 0, 0, 0);
      const probe = new RleProbe({ ...rle, counts });
      for (let y = -1; y <= h; y++) {
        for (let x = -1; x <= w; x++) {
          const inside = x >= 0 && y >= 0 && x < w && y < h;
          expect(probe.has(x, y), `trial ${trial} (${x}, ${y})`).toBe(inside && mask[y * w + x] === 1);
        }
      }
    }
  });
});

describe('segments', () => {
  /** Intersection by bounding boxes and straddling, the textbook way (inclusive). */
  const cross = (ax: number, ay: number, bx: number, by: number, cx: number, cy: number) => (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
  const meet = (p: number[]) => {
    const [x1, y1, x2, y2, x3, y3, x4, y4] = p;
    const boxes = Math.max(Math.min(x1, x2), Math.min(x3, x4)) <= Math.min(Math.max(x1, x2), Math.max(x3, x4)) && Math.max(Math.min(y1, y2), Math.min(y3, y4)) <= Math.min(Math.max(y1, y2), Math.max(y3, y4));
    return boxes && Math.sign(cross(x3, y3, x4, y4, x1, y1)) * Math.sign(cross(x3, y3, x4, y4, x2, y2)) <= 0 && Math.sign(cross(x1, y1, x2, y2, x3, y3)) * Math.sign(cross(x1, y1, x2, y2, x4, y4)) <= 0;
  };

  it('segmentsIntersect agrees with the textbook test on small integer segments (touching and collinear included)', () => {
    for (let k = 0; k < 3000; k++) {
      const p = Array.from({ length: 8 }, () => int(5));
      expect(segmentsIntersect(...(p as [number, number, number, number, number, number, number, number])), p.join(',')).toBe(meet(p));
    }
  });

  it('segmentDistance is the distance to the nearest point of the segment, and where it is', () => {
    for (let k = 0; k < 300; k++) {
      const [x, y, ax, ay, bx, by] = Array.from({ length: 6 }, () => rand() * 10);
      let best = Infinity, bestT = 0;
      for (let s = 0; s <= 2000; s++) {
        const t = s / 2000, d = Math.hypot(x - ax - t * (bx - ax), y - ay - t * (by - ay));
        if (d < best) [best, bestT] = [d, t];
      }
      const r = segmentDistance(x, y, ax, ay, bx, by);
      expect(r.d).toBeCloseTo(best, 2);
      expect(r.t).toBeCloseTo(bestT, 2);
      expect(r.d).toBeLessThanOrEqual(best + 1e-12);
    }
    expect(segmentDistance(3, 4, 0, 0, 0, 0)).toEqual({ d: 5, t: 0 });
  });

  it('pointInRing uses the even-odd rule', () => {
    for (let trial = 0; trial < 40; trial++) {
      const ring = Array.from({ length: 3 + int(6) }, () => [rand() * 10, rand() * 10]).flat();
      for (let k = 0; k < 40; k++) {
        const x = rand() * 12 - 1, y = rand() * 12 - 1;
        let crossings = 0;
        for (let i = 0; i < ring.length; i += 2) {
          const j = (i + 2) % ring.length;
          const [x0, y0, x1, y1] = [ring[i], ring[i + 1], ring[j], ring[j + 1]];
          if (y0 > y !== y1 > y && x < x0 + ((y - y0) * (x1 - x0)) / (y1 - y0)) crossings++;
        }
        expect(pointInRing(x, y, ring)).toBe(crossings % 2 === 1);
      }
    }
  });

  it('ringSelfIntersection finds the first crossing pair, folds included; polylineSelfIntersects any', () => {
    for (let trial = 0; trial < 200; trial++) {
      const n = 3 + int(5);
      const ring = Array.from({ length: n }, () => [int(6), int(6)]).flat();
      let want: [number, number] | null = null;
      const X = (i: number) => ring[2 * (i % n)], Y = (i: number) => ring[2 * (i % n) + 1];
      outer: for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          if (j === i + 1 || (i === 0 && j === n - 1)) {
            const [s, e, o] = j === i + 1 ? [i, i + 1, i + 2] : [j, 0, 1];
            const ux = X(e) - X(s), uy = Y(e) - Y(s), vx = X(o) - X(e), vy = Y(o) - Y(e);
            if (ux * vy - uy * vx === 0 && ux * vx + uy * vy < 0) {
              want = [i, j];
              break outer;
            }
            continue;
          }
          if (meet([X(i), Y(i), X(i + 1), Y(i + 1), X(j), Y(j), X(j + 1), Y(j + 1)])) {
            want = [i, j];
            break outer;
          }
        }
      }
      expect(ringSelfIntersection(ring), ring.join(',')).toEqual(want);
      const line = ring.slice(0, 2 * Math.max(2, n - 1));
      let any = false;
      for (let i = 0; i + 1 < line.length / 2; i++) for (let j = i + 2; j + 1 < line.length / 2; j++) any ||= meet([line[2 * i], line[2 * i + 1], line[2 * i + 2], line[2 * i + 3], line[2 * j], line[2 * j + 1], line[2 * j + 2], line[2 * j + 3]]);
      expect(polylineSelfIntersects(line)).toBe(any);
    }
    expect(ringSelfIntersection([0, 0, 1, 1])).toBeNull();
    expect(ringSelfIntersection([0, 0, 4, 0, 4, 4, 0, 4])).toBeNull();
    expect(ringSelfIntersection([0, 0, 4, 4, 4, 0, 0, 4])).toEqual([0, 2]);
  });
});
