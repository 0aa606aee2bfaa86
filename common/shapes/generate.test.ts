import { describe, expect, it } from 'vitest';
import { CAPTION_WORDS, PALETTE, captionsFor, generateScene, mulberry32, sceneOptions, sceneSeed, type ShapeAnnotation } from './generate.js';
import { decodeRle } from '../geometry/rle.js';

const scenes = Array.from({ length: 40 }, (_, i) => generateScene(sceneSeed(7, i)));

describe('generateScene', () => {
  it('is a pure function of the seed', () => {
    const a = generateScene(sceneSeed(3, 5)), b = generateScene(sceneSeed(3, 5)), c = generateScene(sceneSeed(3, 6));
    expect(Buffer.from(a.rgb).equals(Buffer.from(b.rgb))).toBe(true);
    expect(a.shapes).toEqual(b.shapes);
    expect(a.captions).toEqual(b.captions);
    expect(Buffer.from(a.rgb).equals(Buffer.from(c.rgb))).toBe(false);
    const r1 = mulberry32(1), r2 = mulberry32(1);
    expect([r1(), r1()]).toEqual([r2(), r2()]);
    expect(sceneSeed(1, 0)).not.toBe(sceneSeed(1, 1));
    expect(sceneSeed(1, 0)).not.toBe(sceneSeed(2, 0));
  });

  it('gives visible masks that are disjoint, match the label map, and have exact bbox and area', () => {
    for (const s of scenes) {
      const n = s.width * s.height;
      const owner = new Int16Array(n).fill(-1);
      s.shapes.forEach((sh, k) => {
        const m = decodeRle(sh.mask);
        let area = 0, minX = Infinity, minY = Infinity, maxX = -1, maxY = -1;
        let overlaps = 0;
        for (let i = 0; i < n; i++) {
          if (!m[i]) continue;
          if (owner[i] !== -1) overlaps++;
          owner[i] = k;
          area++;
          const x = i % s.width, y = Math.floor(i / s.width);
          minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y);
        }
        expect(overlaps).toBe(0);
        expect(sh.area).toBe(area);
        expect(sh.bbox).toEqual([minX, minY, maxX - minX + 1, maxY - minY + 1]);
        expect(sh.categoryId).toBe({ circle: 1, square: 2, triangle: 3 }[sh.category]);
      });
      let wrong = 0;
      for (let i = 0; i < n; i++) if (s.labels[i] !== (owner[i] < 0 ? 0 : s.shapes[owner[i]].categoryId)) wrong++;
      expect(wrong).toBe(0);
    }
  });

  it('paints each shape in its named colour and keeps the background away from every palette colour', () => {
    const palette = Object.values(PALETTE);
    for (const s of scenes.slice(0, 10)) {
      for (const sh of s.shapes) {
        const m = decodeRle(sh.mask);
        const sum = [0, 0, 0];
        for (let i = 0; i < m.length; i++) if (m[i]) for (let c = 0; c < 3; c++) sum[c] += s.rgb[i * 3 + c];
        const mean = sum.map((v) => v / sh.area);
        const dist = (p: readonly number[]) => Math.hypot(...p.map((v, c) => v - mean[c]));
        // Anti-aliased edges pull the mean towards the background a little; the named colour must still be nearest.
        expect(dist(PALETTE[sh.color])).toBeLessThan(40);
        expect(Math.min(...palette.filter((p) => p !== PALETTE[sh.color]).map(dist))).toBeGreaterThan(dist(PALETTE[sh.color]));
      }
      let near = 0, bg = 0;
      for (let i = 0; i < s.labels.length; i++) {
        if (s.labels[i]) continue;
        bg++;
        const px = [s.rgb[i * 3], s.rgb[i * 3 + 1], s.rgb[i * 3 + 2]];
        if (palette.some((p) => Math.hypot(p[0] - px[0], p[1] - px[1], p[2] - px[2]) < 60)) near++;
      }
      expect(near / bg).toBeLessThan(0.001);
    }
  });

  it('places 1..maxShapes shapes of varied sizes, with occlusion', () => {
    const counts = new Set(scenes.map((s) => s.shapes.length));
    expect(Math.min(...counts)).toBe(1);
    expect(Math.max(...counts)).toBe(6);
    const extents = scenes.flatMap((s) => s.shapes.map((sh) => Math.max(sh.bbox[2], sh.bbox[3])));
    expect(Math.min(...extents)).toBeLessThan(30);
    expect(Math.max(...extents)).toBeGreaterThan(100);
    expect(scenes.flatMap((s) => s.shapes).map((sh) => sh.category)).toEqual(expect.arrayContaining(['circle', 'square', 'triangle']));
    const small = generateScene(sceneSeed(1, 1), { size: 96, minShapes: 2, maxShapes: 2 });
    expect([small.width, small.shapes.length, small.rgb.length]).toEqual([96, 2, 96 * 96 * 3]);
  });

  it('refuses options no scene can satisfy', () => {
    expect(() => sceneOptions({ maxShapes: 0 })).toThrow(/min-shapes/);
    expect(() => sceneOptions({ minShapes: 4, maxShapes: 3 })).toThrow(/min-shapes/);
    expect(() => sceneOptions({ size: 10 })).toThrow(/size/);
  });
});

describe('captions', () => {
  it('lists both phrasings of the two largest shapes, consistent with their centroids', () => {
    let horizontal = 0, vertical = 0;
    for (const s of scenes) {
      for (const c of s.captions) for (const w of c.split(' ')) expect(CAPTION_WORDS).toContain(w);
      const sorted = [...s.shapes].sort((p, q) => q.area - p.area);
      if (sorted.length === 1) {
        expect(s.captions).toEqual([`a ${sorted[0].color} ${sorted[0].category}`.replace(/^a (?=[aeiou])/, 'an ')]);
        continue;
      }
      const [a, b, third] = sorted;
      if (third) expect(third.area).toBeLessThanOrEqual(0.6 * b.area);
      expect(s.captions).toHaveLength(2);
      for (const cap of s.captions) {
        const m = /^an? (\w+) (\w+) (left of|right of|above|below) an? (\w+) (\w+)$/.exec(cap)!;
        expect(m, cap).not.toBeNull();
        const find = (color: string, cat: string) => [a, b].find((x) => x.color === color && x.category === cat)!;
        const p = find(m[1], m[2]), q = find(m[4], m[5]);
        expect(p).toBeDefined();
        expect(q).toBeDefined();
        expect(p).not.toBe(q);
        const dx = q.centroid[0] - p.centroid[0], dy = q.centroid[1] - p.centroid[1];
        const rel = { 'left of': dx > 0, 'right of': dx < 0, above: dy > 0, below: dy < 0 }[m[3]];
        expect(rel, cap).toBe(true);
        const horiz = m[3].endsWith('of');
        const [major, minor] = horiz ? [Math.abs(dx), Math.abs(dy)] : [Math.abs(dy), Math.abs(dx)];
        expect(major).toBeGreaterThanOrEqual(Math.max(24, 1.5 * minor));
        if (horiz) horizontal++;
        else vertical++;
      }
    }
    expect(horizontal).toBeGreaterThan(0);
    expect(vertical).toBeGreaterThan(0);
  });

  it('rejects ambiguous scenes', () => {
    const shape = (color: ShapeAnnotation['color'], category: ShapeAnnotation['category'], area: number, cx: number, cy: number): ShapeAnnotation => ({
      categoryId: 1, category, color, area, centroid: [cx, cy], bbox: [0, 0, 1, 1], mask: { width: 1, height: 1, counts: [1] },
    });
    expect(captionsFor([shape('red', 'circle', 900, 50, 100), shape('blue', 'square', 800, 150, 110)])).toEqual([
      'a red circle left of a blue square',
      'a blue square right of a red circle',
    ]);
    expect(captionsFor([shape('orange', 'circle', 900, 50, 200), shape('blue', 'square', 800, 60, 100)])).toEqual([
      'an orange circle below a blue square',
      'a blue square above an orange circle',
    ]);
    // same colour and shape: "a red circle left of a red circle" says nothing
    expect(captionsFor([shape('red', 'circle', 900, 50, 100), shape('red', 'circle', 800, 150, 100)])).toBeNull();
    // third shape nearly as large as the second: which two are "the largest" is not visible
    expect(captionsFor([shape('red', 'circle', 900, 50, 100), shape('blue', 'square', 800, 150, 100), shape('green', 'square', 500, 9, 9)])).toBeNull();
    // diagonal: neither axis dominates
    expect(captionsFor([shape('red', 'circle', 900, 50, 50), shape('blue', 'square', 800, 120, 110)])).toBeNull();
    // too close
    expect(captionsFor([shape('red', 'circle', 900, 50, 50), shape('blue', 'square', 800, 70, 50)])).toBeNull();
  });
});
