/** Reading COCO files as pycocotools' COCO / loadRes / _prepare do; the benchmark data generator. */
import { describe, expect, it } from 'vitest';
import { rleFromPolygons } from '../geometry/cocoPolygon.js';
import { decodeRle, rleArea } from '../geometry/rle.js';
import { ellipseRle, generateDetectionBenchData } from './cocoBenchData.js';
import { cocoEvalInputFromJson, cocoSegmentationToRle } from './cocoInput.js';

const gtFile = {
  images: [{ id: 7, width: 40, height: 30 }],
  categories: [{ id: 1, name: 'a' }],
  annotations: [
    { id: 1, image_id: 7, category_id: 1, bbox: [1, 2, 10, 5], area: 33, iscrowd: 0, ignore: 1, segmentation: [[1, 2, 1, 7, 11, 7, 11, 2]] },
    { id: 2, image_id: 7, category_id: 1, bbox: [0, 0, 2, 2], area: 4, iscrowd: 1, segmentation: { size: [30, 40], counts: [0, 2, 28, 2, 1168] } },
  ],
};

describe('cocoEvalInputFromJson', () => {
  it('gt: fields as written, `ignore` dropped (pycocotools overwrites it with iscrowd), masks by annToRLE', () => {
    const inp = cocoEvalInputFromJson(gtFile, [], 'segm');
    expect(inp.gts[0]).toMatchObject({ id: 1, imageId: 7, categoryId: 1, area: 33, iscrowd: false, bbox: [1, 2, 10, 5] });
    expect(inp.gts[0].ignore).toBeUndefined();
    expect(inp.gts[0].segm).toEqual(rleFromPolygons([[1, 2, 1, 7, 11, 7, 11, 2]], 30, 40));
    expect(inp.gts[1].segm).toEqual({ width: 40, height: 30, counts: [0, 2, 28, 2, 1168] });
    expect(inp.gts[1].iscrowd).toBe(true);
  });

  it('results: the first result decides the loadRes branch', () => {
    const boxes = cocoEvalInputFromJson(gtFile, [{ image_id: 7, category_id: 1, bbox: [1, 2, 10, 5], score: 0.5 }], 'segm');
    expect(boxes.dts[0]).toMatchObject({ id: 1, area: 50, score: 0.5 });
    // No segmentation: the box as a polygon, rasterised.
    expect(boxes.dts[0].segm).toEqual(rleFromPolygons([[1, 2, 1, 7, 11, 7, 11, 2]], 30, 40));
    const masks = cocoEvalInputFromJson(gtFile, [{ image_id: 7, category_id: 1, segmentation: { size: [30, 40], counts: [0, 2, 28, 2, 1168] }, score: 0.5 }], 'segm');
    expect(masks.dts[0]).toMatchObject({ area: 4, bbox: [0, 0, 2, 2] });
    // Keypoints: box and area from all points, v not looked at.
    const kp = cocoEvalInputFromJson(gtFile, [{ image_id: 7, category_id: 1, keypoints: [1, 1, 2, 5, 9, 0, 3, 4, 1], score: 1 }], 'keypoints');
    expect(kp.dts[0]).toMatchObject({ bbox: [1, 1, 4, 8], area: 32 });
  });

  it('refuses what pycocotools refuses, saying where', () => {
    expect(() => cocoEvalInputFromJson(gtFile, [{ image_id: 8, category_id: 1, bbox: [0, 0, 1, 1], score: 1 }], 'bbox')).toThrow(/results\[0\]: image 8 is not in the ground-truth file/);
    expect(() => cocoSegmentationToRle({ size: [2, 2], counts: [1, 2] }, 2, 2)).toThrow(/cover 3 pixels/);
    expect(() => cocoEvalInputFromJson(gtFile, [{ image_id: 7, category_id: 1, bbox: [0, 0, 1], score: 1 }], 'bbox')).toThrow(/results\[0\]\.bbox/);
  });

  it('a polygon list whose first ring has 4 numbers is read as boxes (frPyObjects)', () => {
    expect(cocoSegmentationToRle([[1, 2, 10, 5]], 30, 40)).toEqual(rleFromPolygons([[1, 2, 1, 7, 11, 7, 11, 2]], 30, 40));
  });
});

describe('benchmark data', () => {
  it('ellipse masks are valid RLEs close to π/4 of their box', () => {
    for (const b of [
      [10, 20, 30, 15],
      [-5, -3, 20, 20],
      [630, 470, 20, 20],
      [0, 0, 8, 8],
    ]) {
      const rle = ellipseRle(b, 640, 480);
      expect(rle.counts.reduce((s, c) => s + c, 0)).toBe(640 * 480);
      const mask = decodeRle(rle);
      let n = 0;
      for (const v of mask) n += v;
      expect(rleArea(rle)).toBe(n);
    }
    expect(rleArea(ellipseRle([100, 100, 60, 40], 640, 480)) / ((Math.PI / 4) * 60 * 40)).toBeCloseTo(1, 1);
  });

  it('is deterministic and has the documented shape', () => {
    const a = generateDetectionBenchData({ seed: 1, images: 3, labelsPerImage: 20, predictionsPerImage: 50, categories: 20 });
    const b = generateDetectionBenchData({ seed: 1, images: 3, labelsPerImage: 20, predictionsPerImage: 50, categories: 20 });
    expect(b).toEqual(a);
    expect(a.gts).toHaveLength(60);
    expect(a.dts).toHaveLength(150);
    for (const g of a.gts) {
      expect(g.bbox![2]).toBeGreaterThanOrEqual(8);
      expect(g.bbox![2]).toBeLessThanOrEqual(80);
    }
  });
});
