/**
 * rleFromPolygons against pycocotools' own numbers: `mask_checks.json` (frPyObjects + merge, decode, encode,
 * area, toBbox) and the `area` / `bbox` fields of the reference gt.json, which pycocotools computed from the
 * same polygons. Nothing here is compared with numbers this code produced.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.js';
import { rleFromPolygon, rleFromPolygons, rleMerge } from './cocoPolygon.js';
import { decodeRle, encodeRle, rleArea, rleBbox, rleFromString, rleToString, type Rle } from './rle.js';

const REF = path.resolve(__dirname, '../../../shared/reference/metrics');
const CHECKS = path.join(REF, 'coco-segm-a/mask_checks.json');
const SEGM_GT = path.join(REF, 'coco-segm-a/gt.json');

interface MaskCheck {
  label: string;
  input_segmentation: number[][] | { size: [number, number]; counts: string | number[] };
  size: [number, number];
  rle_uncompressed_counts: number[];
  rle_compressed_counts: string;
  area: number;
  toBbox: number[];
}

function load<T>(file: string): T | null {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as T;
  console.log(`skipped: ${file} is absent (the pycocotools reference numbers live in ../shared/reference/metrics)`);
  return null;
}

describe('rleFromPolygons against pycocotools (mask_checks.json)', () => {
  const checks = load<{ masks: MaskCheck[] }>(CHECKS);
  const polygons = checks?.masks.filter((m) => Array.isArray(m.input_segmentation)) ?? [];

  it.skipIf(!checks)('the reference file has polygon cases, single and multi-ring', () => {
    expect(polygons.length).toBeGreaterThanOrEqual(2);
    expect(polygons.some((m) => (m.input_segmentation as number[][]).length > 1)).toBe(true);
  });

  for (const m of polygons) {
    it(`${m.label}: counts, compressed string, area and toBbox`, () => {
      const [h, w] = m.size;
      const rle = rleFromPolygons(m.input_segmentation as number[][], h, w);
      expect(rle.width).toBe(w);
      expect(rle.height).toBe(h);
      expect(rle.counts).toEqual(m.rle_uncompressed_counts);
      expect(rleToString(rle.counts)).toBe(m.rle_compressed_counts);
      expect(rleArea(rle)).toBe(m.area);
      expect(rleBbox(rle)).toEqual(m.toBbox);
    });
  }

  // The RLE cases in the same file check the codec this module's output goes through.
  for (const m of checks?.masks.filter((c) => !Array.isArray(c.input_segmentation)) ?? []) {
    it(`${m.label}: string codec, area and toBbox`, () => {
      const seg = m.input_segmentation as { size: [number, number]; counts: string | number[] };
      const counts = typeof seg.counts === 'string' ? rleFromString(seg.counts) : seg.counts;
      const rle: Rle = { height: seg.size[0], width: seg.size[1], counts };
      expect(counts).toEqual(m.rle_uncompressed_counts);
      expect(rleToString(counts)).toBe(m.rle_compressed_counts);
      expect(rleArea(rle)).toBe(m.area);
      expect(rleBbox(rle)).toEqual(m.toBbox);
    });
  }
});

describe('rleFromPolygons against pycocotools (coco-segm-a gt.json area and bbox)', () => {
  interface Gt {
    images: { id: number; width: number; height: number }[];
    annotations: { id: number; image_id: number; segmentation: unknown; area: number; bbox: number[] }[];
  }
  const gt = load<Gt>(SEGM_GT);
  const polys = gt?.annotations.filter((a) => Array.isArray(a.segmentation)) ?? [];

  it.skipIf(!gt)('every polygon annotation (single and multi-ring) gives pycocotools area and toBbox', () => {
    expect(polys.length).toBeGreaterThanOrEqual(20);
    expect(polys.filter((a) => (a.segmentation as unknown[]).length > 1).length).toBeGreaterThanOrEqual(4);
    for (const a of polys) {
      const img = gt!.images.find((i) => i.id === a.image_id)!;
      const rle = rleFromPolygons(a.segmentation as number[][], img.height, img.width);
      expect({ id: a.id, area: rleArea(rle), bbox: rleBbox(rle) }).toEqual({ id: a.id, area: a.area, bbox: a.bbox });
      // The counts are canonical (only the first run may be empty) and cover the image.
      expect(rle.counts.slice(1).every((c) => c > 0)).toBe(true);
      expect(rle.counts.reduce((s, c) => s + c, 0)).toBe(img.width * img.height);
    }
  });
});

describe('rleFromPolygon properties', () => {
  it('a ring and its reverse, or its rotation, give the same mask (segments are walked from their lower end)', () => {
    const rand = mulberry32(8);
    for (let trial = 0; trial < 200; trial++) {
      const n = 3 + Math.floor(rand() * 6);
      const ring: number[] = [];
      for (let i = 0; i < n; i++) ring.push(rand() * 40 - 5, rand() * 30 - 5);
      const rev: number[] = [];
      for (let i = n - 1; i >= 0; i--) rev.push(ring[2 * i], ring[2 * i + 1]);
      const rot = [...ring.slice(2), ring[0], ring[1]];
      const a = rleFromPolygon(ring, 25, 33);
      expect(rleFromPolygon(rev, 25, 33).counts).toEqual(a.counts);
      expect(rleFromPolygon(rot, 25, 33).counts).toEqual(a.counts);
    }
  });

  it('merge is the pixel union; intersect the pixel intersection; one ring is returned as is', () => {
    const rand = mulberry32(9);
    for (let trial = 0; trial < 100; trial++) {
      const w = 5 + Math.floor(rand() * 20), h = 5 + Math.floor(rand() * 20);
      const masks = [0, 1, 2].map(() => Uint8Array.from({ length: w * h }, () => (rand() < 0.4 ? 1 : 0)));
      const rles = masks.map((m) => encodeRle(m, w, h));
      const union = masks[0].map((_, i) => masks[0][i] | masks[1][i] | masks[2][i]);
      const inter = masks[0].map((_, i) => masks[0][i] & masks[1][i] & masks[2][i]);
      expect(decodeRle(rleMerge(rles))).toEqual(union);
      expect(decodeRle(rleMerge(rles, true))).toEqual(inter);
      expect(rleMerge(rles).counts).toEqual(encodeRle(union, w, h).counts);
      expect(rleMerge([rles[0]]).counts).toEqual(rles[0].counts);
    }
  });

  it('outlines outside the image, repeated vertices and a ring of no rings stay valid masks', () => {
    const outside = rleFromPolygon([-50, -50, -40, -50, -40, -40], 10, 10);
    expect(outside.counts).toEqual([100]);
    const repeated = rleFromPolygon([2, 2, 2, 2, 8, 2, 8, 8, 8, 8, 2, 8], 10, 10);
    expect(repeated.counts.reduce((s, c) => s + c, 0)).toBe(100);
    expect(rleArea(repeated)).toBeGreaterThan(0);
    expect(rleFromPolygons([], 4, 3).counts).toEqual([12]);
  });

  it('refuses an outline whose 5× walk would be absurdly long instead of hanging', () => {
    expect(() => rleFromPolygon([0, 0, 1e9, 0, 1e9, 1e9], 10, 10)).toThrow(/too long to rasterise/);
  });
});
