/**
 * The geometry module against plain, slow references on seeded random inputs: every shortcut the fast code takes
 * (half-open scan lines, run walking, rotating calipers, monotone chains) must give what the obvious loop gives.
 */
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.js';
import { boxArea, boxIou, nms } from './boxes.js';
import { convexHull, labelComponents, maskToPolygons, minAreaRect, offsetConvexPolygon, polygonArea, polygonPerimeter, polygonToMask, signedArea, simplifyRing } from './polygon.js';
import { cropRgb, resampleNearest, thresholdWindow } from './raster.js';
import { decodeRle, encodeLabelRles, encodeRle, encodeRleWindow, rleArea, rleBbox, rleFromString, rleIntersection, rleIou, rleToString } from './rle.js';

const rand = mulberry32(2024);
const int = (n: number) => Math.floor(rand() * n);
const randomMask = (w: number, h: number, p: number) => Uint8Array.from({ length: w * h }, () => (rand() < p ? 1 : 0));

describe('boxes', () => {
  /** Overlap area by brute force on a fine grid of the integer boxes' unit cells. */
  const overlap = (a: number[], b: number[]) => Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0])) * Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const randomBox = () => {
    const x = int(20), y = int(20);
    return [x, y, x + int(12), y + int(12)];
  };

  it('IoU: overlap in both axes or none; boxes overlapping in one axis only do not overlap', () => {
    for (let k = 0; k < 400; k++) {
      const a = randomBox(), b = randomBox();
      const inter = overlap(a, b);
      const union = boxArea(a) + boxArea(b) - inter;
      expect(boxIou(a, b)).toBeCloseTo(union > 0 ? inter / union : 0, 12);
    }
    expect(boxIou([0, 0, 10, 10], [2, 20, 8, 30])).toBe(0);
    expect(boxIou([0, 0, 10, 10], [20, 2, 30, 8])).toBe(0);
    expect(boxIou([0, 0, 10, 10], [2, 10, 8, 30])).toBe(0);
    expect(boxIou([0, 5, 10, 10], [0, 0, 10, 5])).toBe(0);
    expect(boxIou([0, 0, 10, 10], [0, 2, 10, 7])).toBeCloseTo(0.5, 12);
    expect(boxArea([5, 5, 2, 9])).toBe(0);
  });

  it('NMS: the greedy loop, written out', () => {
    for (let trial = 0; trial < 60; trial++) {
      const n = 1 + int(14);
      const boxes = Array.from({ length: n }, randomBox);
      const scores = Array.from({ length: n }, () => int(5) / 4);
      const classes = Array.from({ length: n }, () => int(2));
      const thr = [0, 0.2, 0.5, 0.8][trial % 4];
      const agnostic = trial % 3 === 0;
      const max = trial % 5 === 0 ? 3 : Infinity;
      const order = boxes.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
      const kept: number[] = [];
      const suppressed: { index: number; by: number }[] = [];
      const gone = new Set<number>();
      for (const i of order) {
        if (kept.length >= max) break;
        if (gone.has(i)) continue;
        kept.push(i);
        for (const j of order) {
          if (j === i || gone.has(j) || kept.includes(j) || order.indexOf(j) < order.indexOf(i)) continue;
          if (!agnostic && classes[i] !== classes[j]) continue;
          if (boxIou(boxes[i], boxes[j]) > thr) {
            gone.add(j);
            suppressed.push({ index: j, by: i });
          }
        }
      }
      expect(nms(boxes, scores, thr, { classes, agnostic, maxDetections: max }), `trial ${trial}`).toEqual({ kept, suppressed });
    }
    expect(() => nms([[0, 0, 1, 1]], [1], 0.5, { classes: [0, 1] })).toThrow('nms: 1 boxes but 2 classes');
  });
});

describe('raster', () => {
  it('thresholdWindow: an empty window is an empty array; each pixel is the bilinear sample, edges repeated', () => {
    expect(thresholdWindow([1, 1, 1, 1], 2, 2, { sx: 1, ox: 0, sy: 1, oy: 0 }, 0, 0, 0, 2, 0.5)).toEqual(new Uint8Array(0));
    expect(thresholdWindow([1, 1, 1, 1], 2, 2, { sx: 1, ox: 0, sy: 1, oy: 0 }, 0, 0, 2, 0, 0.5)).toEqual(new Uint8Array(0));
    for (let trial = 0; trial < 40; trial++) {
      const mw = 2 + int(6), mh = 2 + int(6);
      const map = Array.from({ length: mw * mh }, () => rand());
      const t = { sx: 0.3 + rand() * 1.5, ox: rand() * 2 - 1, sy: 0.3 + rand() * 1.5, oy: rand() * 2 - 1 };
      const x0 = int(4), y0 = int(4), ww = 1 + int(8), hh = 1 + int(8), thr = rand();
      const sample = (fx: number, fy: number) => {
        const x = Math.min(Math.max(fx, 0), mw - 1), y = Math.min(Math.max(fy, 0), mh - 1);
        const xa = Math.floor(x), ya = Math.floor(y), xb = Math.min(xa + 1, mw - 1), yb = Math.min(ya + 1, mh - 1);
        const ax = x - xa, ay = y - ya;
        const top = map[ya * mw + xa] * (1 - ax) + map[ya * mw + xb] * ax;
        const bottom = map[yb * mw + xa] * (1 - ax) + map[yb * mw + xb] * ax;
        return top * (1 - ay) + bottom * ay;
      };
      const want = new Uint8Array(ww * hh);
      for (let y = 0; y < hh; y++) for (let x = 0; x < ww; x++) want[y * ww + x] = sample((x0 + x + 0.5) * t.sx + t.ox - 0.5, (y0 + y + 0.5) * t.sy + t.oy - 0.5) > thr ? 1 : 0;
      const got = thresholdWindow(map, mw, mh, t, x0, y0, ww, hh, thr);
      // Values within rounding of the threshold may fall either way; count the others.
      let differ = 0;
      for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) differ++;
      expect(differ, `trial ${trial}`).toBe(0);
    }
  });

  it('resampleNearest takes the map pixel under each image pixel centre, clamped to the map', () => {
    for (let trial = 0; trial < 40; trial++) {
      const mw = 1 + int(7), mh = 1 + int(7);
      const map = Uint16Array.from({ length: mw * mh }, () => int(1000));
      const t = { sx: 0.2 + rand() * 2, ox: rand() * 4 - 2, sy: 0.2 + rand() * 2, oy: rand() * 4 - 2 };
      const w = 1 + int(9), h = 1 + int(9);
      const got = resampleNearest(map, mw, mh, t, w, h);
      expect(got).toBeInstanceOf(Uint16Array);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const mx = Math.min(mw - 1, Math.max(0, Math.floor((x + 0.5) * t.sx + t.ox)));
          const my = Math.min(mh - 1, Math.max(0, Math.floor((y + 0.5) * t.sy + t.oy)));
          expect(got[y * w + x]).toBe(map[my * mw + mx]);
        }
      }
    }
  });

  it('cropRgb copies a window, turned or not, and names a window that does not fit', () => {
    const w = 7, h = 5;
    const src = { data: Uint8Array.from({ length: w * h * 3 }, (_, i) => i & 255), width: w, height: h };
    for (let trial = 0; trial < 30; trial++) {
      const win = { left: int(w), top: int(h), width: 0, height: 0 };
      win.width = 1 + int(w - win.left);
      win.height = 1 + int(h - win.top);
      const plain = cropRgb(src, win, false);
      const turned = cropRgb(src, win, true);
      expect([plain.width, plain.height, turned.width, turned.height]).toEqual([win.width, win.height, win.height, win.width]);
      for (let y = 0; y < win.height; y++) {
        for (let x = 0; x < win.width; x++) {
          const s = ((win.top + y) * w + win.left + x) * 3;
          const p = (y * win.width + x) * 3;
          // Turned a quarter anticlockwise: window pixel (x, y) lands at (y, width − 1 − x).
          const q = ((win.width - 1 - x) * win.height + y) * 3;
          for (let c = 0; c < 3; c++) {
            expect(plain.data[p + c]).toBe(src.data[s + c]);
            expect(turned.data[q + c]).toBe(src.data[s + c]);
          }
        }
      }
    }
    const bad = (win: { left: number; top: number; width: number; height: number }) => () => cropRgb(src, win, false);
    for (const win of [
      { left: -1, top: 0, width: 2, height: 2 },
      { left: 0, top: -1, width: 2, height: 2 },
      { left: 6, top: 0, width: 2, height: 2 },
      { left: 0, top: 4, width: 2, height: 2 },
      { left: 0, top: 0, width: 0, height: 2 },
      { left: 0, top: 0, width: 2, height: 0 },
    ]) {
      expect(bad(win)).toThrow(`window ${win.width}×${win.height} at (${win.left}, ${win.top}) is not inside the 7×5 image`);
    }
    expect(cropRgb(src, { left: 0, top: 0, width: 7, height: 5 }, false).data).toEqual(src.data);
    expect(() => cropRgb({ ...src, channels: 4 }, { left: 0, top: 0, width: 1, height: 1 }, false)).toThrow('cropRgb takes 3-channel pixels, not 4');
  });
});

describe('rle', () => {
  it('bbox, area, intersection and IoU agree with pixel counting, zero-length runs included', () => {
    for (let trial = 0; trial < 80; trial++) {
      const w = 1 + int(9), h = 1 + int(9);
      const p = [0, 0.05, 0.5, 0.95, 1][trial % 5];
      const a = randomMask(w, h, p), b = randomMask(w, h, rand());
      // Zero-length runs in the middle and at the end are legal: split one run in two.
      const ra = encodeRle(a, w, h);
      const counts = [...ra.counts];
      if (counts.length > 1) counts.splice(1, 1, counts[1], 0, 0);
      counts.push(0, 0);
      const padded = { width: w, height: h, counts };
      expect(decodeRle(padded)).toEqual(a);
      let xs = Infinity, ys = Infinity, xe = -1, ye = -1, area = 0, inter = 0, areaB = 0;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const i = y * w + x;
          if (a[i]) [xs, ys, xe, ye, area] = [Math.min(xs, x), Math.min(ys, y), Math.max(xe, x), Math.max(ye, y), area + 1];
          if (b[i]) areaB++;
          if (a[i] && b[i]) inter++;
        }
      }
      const rb = encodeRle(b, w, h);
      expect(rleArea(padded)).toBe(area);
      expect(rleBbox(padded)).toEqual(area ? [xs, ys, xe - xs + 1, ye - ys + 1] : [0, 0, 0, 0]);
      expect(rleIntersection(padded, rb)).toBe(inter);
      expect(rleIntersection(rb, padded)).toBe(inter);
      const union = area + areaB - inter;
      expect(rleIou(padded, rb)).toBeCloseTo(union ? inter / union : 0, 12);
      expect(rleIou(padded, rb, true)).toBeCloseTo(area ? inter / area : 0, 12);
      expect(rleFromString(rleToString(padded.counts))).toEqual(padded.counts);
    }
    // A one-pixel mask at the origin: bbox [0, 0, 1, 1], not empty.
    expect(rleBbox({ width: 3, height: 3, counts: [0, 1, 8] })).toEqual([0, 0, 1, 1]);
    expect(rleIou({ width: 2, height: 1, counts: [2] }, { width: 2, height: 1, counts: [2] })).toBe(0);
  });

  it('label RLEs, windows and the refusals, each named', () => {
    for (let trial = 0; trial < 20; trial++) {
      const w = 1 + int(8), h = 1 + int(8);
      const labels = Array.from({ length: w * h }, () => int(4));
      for (const [l, rle] of encodeLabelRles(labels, w, h)) expect(rle).toEqual(encodeRle(labels.map((v) => (v === l ? 1 : 0)), w, h));
    }
    expect(() => encodeLabelRles([1, 2, 3], 2, 2)).toThrow('label map has 3 pixels, expected 2×2');
    expect(() => encodeRle([1, 0, 1], 2, 2)).toThrow('mask has 3 pixels, expected 2×2');
    expect(encodeRleWindow([1, 1, 1, 1], 1, 1, 2, 2, 3, 3)).toEqual(encodeRle([0, 0, 0, 0, 1, 1, 0, 1, 1], 3, 3));
    for (const [x0, y0, ww, hh] of [[-1, 0, 2, 2], [0, -1, 2, 2], [2, 0, 2, 2], [0, 2, 2, 2]]) {
      expect(() => encodeRleWindow(new Uint8Array(ww * hh), x0, y0, ww, hh, 3, 3)).toThrow(`window ${ww}×${hh} at (${x0}, ${y0}) does not fit in 3×3`);
    }
    expect(() => encodeRleWindow([1, 1, 1], 0, 0, 2, 2, 3, 3)).toThrow('window has 3 pixels, expected 2×2');
    expect(() => decodeRle({ width: 2, height: 2, counts: [1, -1, 4] })).toThrow('RLE count -1 is not a non-negative integer');
    expect(() => decodeRle({ width: 2, height: 2, counts: [1.5, 2.5] })).toThrow('RLE count 1.5 is not a non-negative integer');
    expect(() => decodeRle({ width: 2, height: 3, counts: [5] })).toThrow('RLE counts cover 5 pixels, expected 2×3 = 6');
    expect(() => rleIntersection({ width: 2, height: 2, counts: [4] }, { width: 2, height: 3, counts: [6] })).toThrow('RLE sizes differ: 2×2 vs 2×3');
    expect(() => rleFromString('0a/')).toThrow('COCO RLE string has "/" at character 2; only characters 0 to o are valid');
    expect(() => rleFromString('0ap')).toThrow('COCO RLE string has "p" at character 2');
    // "1" (1), "0" (0), then "O" (31 with the sign bit: −1): a third count of −1.
    expect(() => rleFromString('10O')).toThrow(/^COCO RLE string decodes to a negative count at character 3$/);
  });
});

describe('polygon', () => {
  /** Even-odd test of a pixel centre, with the same half-open rule on y and x as the scan-line fill. */
  const insideEvenOdd = (rings: number[][], px: number, py: number) => {
    let c = false;
    for (const r of rings) {
      const n = r.length;
      for (let i = 0; i < n; i += 2) {
        const j = (i + 2) % n;
        const [x0, y0, x1, y1] = [r[i], r[i + 1], r[j], r[j + 1]];
        if ((y0 <= py && py < y1) || (y1 <= py && py < y0)) {
          const x = x0 + ((py - y0) * (x1 - x0)) / (y1 - y0);
          if (px >= x) c = !c;
        }
      }
    }
    return c;
  };
  const randomRing = (cx: number, cy: number, r: number, n: number) =>
    Array.from({ length: n }, () => [cx + (rand() * 2 - 1) * r + 0.013, cy + (rand() * 2 - 1) * r + 0.017]).flat();

  it('polygonToMask fills the pixels whose centres are inside (even-odd), rings partly off the image included', () => {
    for (let trial = 0; trial < 40; trial++) {
      const w = 4 + int(12), h = 4 + int(12);
      const rings = Array.from({ length: 1 + int(3) }, () => randomRing(rand() * w, rand() * h, 2 + rand() * 8, 3 + int(5)));
      const mask = polygonToMask(rings.length === 1 ? rings[0] : rings, w, h);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) expect(mask[y * w + x], `trial ${trial} (${x}, ${y})`).toBe(insideEvenOdd(rings, x + 0.5, y + 0.5) ? 1 : 0);
    }
    expect(() => polygonToMask([0, 0, 1, 1], 2, 2)).toThrow('a polygon needs at least 3 x,y pairs, got 4 numbers');
    expect(() => polygonToMask([0, 0, 1, 1, 2], 2, 2)).toThrow('got 5 numbers');
  });

  it('labelComponents numbers components in raster order of their first pixel, 4- or 8-connected', () => {
    for (let trial = 0; trial < 40; trial++) {
      const w = 1 + int(10), h = 1 + int(10);
      const mask = randomMask(w, h, 0.45);
      for (const conn of [4, 8] as const) {
        const want = new Int32Array(w * h);
        let count = 0;
        for (let s = 0; s < w * h; s++) {
          if (!mask[s] || want[s]) continue;
          want[s] = ++count;
          const queue = [s];
          while (queue.length) {
            const i = queue.shift()!;
            const x = i % w, y = Math.floor(i / w);
            for (let dy = -1; dy <= 1; dy++) {
              for (let dx = -1; dx <= 1; dx++) {
                if (!dx && !dy) continue;
                if (conn === 4 && dx && dy) continue;
                const xx = x + dx, yy = y + dy;
                if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
                const k = yy * w + xx;
                if (mask[k] && !want[k]) (want[k] = count), queue.push(k);
              }
            }
          }
        }
        expect(labelComponents(mask, w, h, conn), `trial ${trial} ${conn}`).toEqual({ labels: want, count });
      }
    }
    expect(labelComponents([1, 0, 0, 1], 2, 2).count).toBe(1);
    expect(labelComponents([1, 0, 0, 1], 2, 2, 4).count).toBe(2);
    expect(() => labelComponents([1, 0, 1], 2, 2)).toThrow('mask has 3 pixels, expected 2×2');
  });

  it('maskToPolygons traces each component (holes filled) so that filling the rings gives it back', () => {
    for (let trial = 0; trial < 30; trial++) {
      const w = 1 + int(10), h = 1 + int(10);
      const mask = randomMask(w, h, 0.5);
      const { labels, count } = labelComponents(mask, w, h, 8);
      const rings = maskToPolygons(mask, w, h);
      expect(rings).toHaveLength(count);
      rings.forEach((ring, k) => {
        expect(signedArea(ring)).toBeGreaterThan(0);
        const filled = polygonToMask(ring, w, h);
        // Every pixel of the component is inside its ring, and nothing of another component's pixels.
        for (let i = 0; i < labels.length; i++) {
          if (labels[i] === k + 1) expect(filled[i]).toBe(1);
          else if (labels[i]) expect(filled[i]).toBe(0);
        }
      });
      const big = maskToPolygons(mask, w, h, { minArea: 3 });
      const areas = Array.from({ length: count }, (_, k) => labels.filter((l) => l === k + 1).length);
      expect(big).toHaveLength(areas.filter((a) => a >= 3).length);
    }
  });

  it('simplifyRing keeps only corners farther than the tolerance, and short or zero-tolerance rings as they are', () => {
    const square = [0, 0, 5, 0, 10, 0, 10, 10, 0, 10];
    expect(simplifyRing(square, 0.5)).toEqual([0, 0, 10, 0, 10, 10, 0, 10]);
    expect(simplifyRing(square, 0)).toEqual(square);
    expect(simplifyRing([0, 0, 1, 0, 0, 1], 5)).toEqual([0, 0, 1, 0, 0, 1]);
    // A bump of 0.4 stays at tolerance 0.3 and goes at 0.5.
    const bumpy = [0, 0, 5, 0.4, 10, 0, 10, 10, 0, 10];
    expect(simplifyRing(bumpy, 0.3)).toEqual(bumpy);
    expect(simplifyRing(bumpy, 0.5)).toEqual([0, 0, 10, 0, 10, 10, 0, 10]);
    // Far points split the ring: the one farthest from the first vertex is always kept.
    for (let trial = 0; trial < 30; trial++) {
      const n = 4 + int(20);
      const ring = Array.from({ length: n }, (_, i) => {
        const a = (2 * Math.PI * i) / n, r = 10 + rand() * 3;
        return [20 + r * Math.cos(a), 20 + r * Math.sin(a)];
      }).flat();
      const tol = rand() * 3;
      const out = simplifyRing(ring, tol);
      // Kept vertices are original vertices, in order, the first one included.
      const idx: number[] = [];
      for (let k = 0; k < out.length; k += 2) idx.push([...Array(n).keys()].find((i) => ring[2 * i] === out[k] && ring[2 * i + 1] === out[k + 1])!);
      expect(idx[0]).toBe(0);
      expect(idx).toEqual([...idx].sort((a, b) => a - b));
      // Every dropped vertex is within the tolerance of the kept segment spanning it.
      for (let s = 0; s < idx.length; s++) {
        const a = idx[s], b = s + 1 < idx.length ? idx[s + 1] : n;
        const [ax, ay, bx, by] = [ring[2 * a], ring[2 * a + 1], ring[2 * (b % n)], ring[2 * (b % n) + 1]];
        for (let i = a + 1; i < b; i++) {
          const vx = bx - ax, vy = by - ay, l2 = vx * vx + vy * vy;
          const t = l2 ? Math.max(0, Math.min(1, ((ring[2 * i] - ax) * vx + (ring[2 * i + 1] - ay) * vy) / l2)) : 0;
          expect(Math.hypot(ring[2 * i] - ax - t * vx, ring[2 * i + 1] - ay - t * vy)).toBeLessThanOrEqual(tol + 1e-9);
        }
      }
    }
  });

  it('convexHull: the extreme points, clockwise on screen, no repeats or collinear points', () => {
    for (let trial = 0; trial < 60; trial++) {
      const pts = Array.from({ length: 1 + int(15) }, () => [int(8), int(8)]).flat();
      const hull = convexHull(pts);
      const n = hull.length / 2;
      const cross = (o: number[], a: number[], b: number[]) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
      const P = (k: number) => [hull[2 * (k % n)], hull[2 * (k % n) + 1]];
      const unique = new Set(Array.from({ length: pts.length / 2 }, (_, i) => `${pts[2 * i]},${pts[2 * i + 1]}`));
      if (unique.size <= 2) {
        expect(n).toBe(unique.size);
        continue;
      }
      const allCollinear = [...unique].every((s) => {
        const [a, b] = [...unique].slice(0, 2).map((u) => u.split(',').map(Number));
        return cross(a, b, s.split(',').map(Number)) === 0;
      });
      if (allCollinear) {
        expect(n).toBe(2);
        continue;
      }
      // Strict left turns on screen's clockwise = positive cross product in y-down coordinates.
      for (let k = 0; k < n; k++) expect(cross(P(k), P(k + 1), P(k + 2))).toBeGreaterThan(0);
      // Every point inside or on the hull; every hull vertex is an input point.
      for (let i = 0; i < pts.length; i += 2) for (let k = 0; k < n; k++) expect(cross(P(k), P(k + 1), [pts[i], pts[i + 1]])).toBeGreaterThanOrEqual(0);
      for (let k = 0; k < n; k++) expect(unique.has(P(k).join(','))).toBe(true);
      expect(new Set(Array.from({ length: n }, (_, k) => P(k).join(','))).size).toBe(n);
    }
  });

  it('minAreaRect is the smallest rectangle with a side on a hull edge, and holds every point', () => {
    for (let trial = 0; trial < 60; trial++) {
      const pts = Array.from({ length: 3 + int(12) }, () => [rand() * 20, rand() * 20]).flat();
      const hull = convexHull(pts);
      const n = hull.length / 2;
      let best = Infinity;
      for (let i = 0; i < n; i++) {
        const j = (i + 1) % n;
        const ex = hull[2 * j] - hull[2 * i], ey = hull[2 * j + 1] - hull[2 * i + 1], l = Math.hypot(ex, ey);
        const ux = ex / l, uy = ey / l;
        const us = [], vs = [];
        for (let k = 0; k < pts.length; k += 2) us.push(pts[k] * ux + pts[k + 1] * uy), vs.push(-pts[k] * uy + pts[k + 1] * ux);
        best = Math.min(best, (Math.max(...us) - Math.min(...us)) * (Math.max(...vs) - Math.min(...vs)));
      }
      const r = minAreaRect(pts);
      expect(r.width * r.height).toBeCloseTo(best, 6);
      expect(polygonArea(r.points)).toBeCloseTo(best, 6);
      expect(signedArea(r.points)).toBeGreaterThanOrEqual(0);
      const c = [0, 2, 4, 6].map((k) => [r.points[k], r.points[k + 1]]);
      expect((c[0][0] + c[2][0]) / 2).toBeCloseTo(r.cx, 9);
      expect((c[0][1] + c[2][1]) / 2).toBeCloseTo(r.cy, 9);
      expect(Math.hypot(c[1][0] - c[0][0], c[1][1] - c[0][1])).toBeCloseTo(r.width, 9);
      expect(Math.hypot(c[2][0] - c[1][0], c[2][1] - c[1][1])).toBeCloseTo(r.height, 9);
      expect(Math.atan2(c[1][1] - c[0][1], c[1][0] - c[0][0])).toBeCloseTo(r.angle, 9);
      for (let k = 0; k < pts.length; k += 2) {
        for (let e = 0; e < 4; e++) {
          const [a, b] = [c[e], c[(e + 1) % 4]];
          expect((b[0] - a[0]) * (pts[k + 1] - a[1]) - (b[1] - a[1]) * (pts[k] - a[0])).toBeGreaterThanOrEqual(-1e-6);
        }
      }
    }
    expect(minAreaRect([3, 4])).toMatchObject({ cx: 3, cy: 4, width: 0, height: 0 });
    const seg = minAreaRect([0, 0, 3, 4, 0, 0]);
    expect(seg).toMatchObject({ cx: 1.5, cy: 2, height: 0 });
    expect(seg.width).toBeCloseTo(5, 12);
    expect(seg.angle).toBeCloseTo(Math.atan2(4, 3), 12);
    expect(() => minAreaRect([])).toThrow('minAreaRect of no points');
  });

  it('offsetConvexPolygon lies at the distance from the polygon, rounds corners finely enough, keeps the orientation', () => {
    for (let trial = 0; trial < 40; trial++) {
      const hull = convexHull(Array.from({ length: 3 + int(8) }, () => [rand() * 20, rand() * 20]).flat());
      const poly = trial % 2 ? hull : (() => {
        const rev: number[] = [];
        for (let i = hull.length - 2; i >= 0; i -= 2) rev.push(hull[i], hull[i + 1]);
        return rev;
      })();
      const d = 0.5 + rand() * 5, maxError = [0.1, 0.02, 0.5][trial % 3];
      const out = offsetConvexPolygon(poly, d, maxError);
      expect(Math.sign(signedArea(out))).toBe(Math.sign(signedArea(poly)));
      const n = poly.length / 2;
      const distToPoly = (x: number, y: number) => {
        let m = Infinity;
        for (let i = 0; i < n; i++) {
          const j = (i + 1) % n;
          const [ax, ay, bx, by] = [poly[2 * i], poly[2 * i + 1], poly[2 * j], poly[2 * j + 1]];
          const vx = bx - ax, vy = by - ay, l2 = vx * vx + vy * vy;
          const t = Math.max(0, Math.min(1, ((x - ax) * vx + (y - ay) * vy) / l2));
          m = Math.min(m, Math.hypot(x - ax - t * vx, y - ay - t * vy));
        }
        return m;
      };
      for (let k = 0; k < out.length; k += 2) expect(distToPoly(out[k], out[k + 1])).toBeCloseTo(d, 6);
      // The chords of the arcs stay within maxError of the true round boundary: area between A + P·d + π·d² less
      // what the chords cut off.
      const exact = polygonArea(poly) + polygonPerimeter(poly) * d + Math.PI * d * d;
      expect(polygonArea(out)).toBeLessThanOrEqual(exact + 1e-6);
      expect(polygonArea(out)).toBeGreaterThanOrEqual(exact - polygonPerimeter(out) * maxError);
    }
    // A point grows into a polygon approximating a circle, without repeating its first vertex.
    const dot = offsetConvexPolygon([5, 5], 2, 0.01);
    expect(dot.length).toBeGreaterThan(20);
    expect([dot[0], dot[1]]).not.toEqual([dot.at(-2), dot.at(-1)]);
    for (let k = 0; k < dot.length; k += 2) expect(Math.hypot(dot[k] - 5, dot[k + 1] - 5)).toBeCloseTo(2, 9);
    // Repeated and closing points are dropped; a zero distance gives the corners back.
    const zero = offsetConvexPolygon([0, 0, 0, 0, 4, 0, 4, 4, 0, 0], 0);
    const distinct = new Set(Array.from({ length: zero.length / 2 }, (_, k) => `${zero[2 * k]},${zero[2 * k + 1]}`));
    expect([...distinct]).toEqual(['0,0', '4,0', '4,4']);
    expect(() => offsetConvexPolygon([], 1)).toThrow('offsetConvexPolygon of no points');
  });
});
