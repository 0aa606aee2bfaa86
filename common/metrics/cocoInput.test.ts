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
    // An empty bbox beside a mask (pycocotools takes the mask branch and keeps it): the mask decides, as without one.
    const emptyBox = cocoEvalInputFromJson(gtFile, [{ image_id: 7, category_id: 1, bbox: [], segmentation: { size: [30, 40], counts: [0, 2, 28, 2, 1168] }, score: 0.5 }], 'segm');
    expect(emptyBox.dts[0]).toMatchObject({ area: 4, bbox: [0, 0, 2, 2] });
    expect(emptyBox.dts[0].segm).toEqual(masks.dts[0].segm);
    // A bbox that is there but not 4 numbers is still refused.
    expect(() =>
      cocoEvalInputFromJson(gtFile, [{ image_id: 7, category_id: 1, bbox: [1, 2], segmentation: { size: [30, 40], counts: [0, 2, 28, 2, 1168] }, score: 0.5 }], 'segm'),
    ).toThrow(/results\[0\]\.bbox/);
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

describe('cocoSegmentationToRle: formats and errors', () => {
  it('reads uncompressed RLE at its own size, [h, w] order', () => {
    // size [2, 3]: 2 rows, 3 columns; counts column-major.
    expect(cocoSegmentationToRle({ size: [2, 3], counts: [1, 2, 1, 2] }, 30, 40)).toEqual({ width: 3, height: 2, counts: [1, 2, 1, 2] });
  });

  it('decodes compressed RLE strings (pycocotools LEB128-like, counts past the 3rd as deltas)', () => {
    // "1", "2", "1" are the first three counts; "0" is count 3 minus count 1 = 2 - 2.
    expect(cocoSegmentationToRle({ size: [2, 3], counts: '1210' }, 30, 40)).toEqual({ width: 3, height: 2, counts: [1, 2, 1, 2] });
  });

  it('an empty polygon list is an empty mask at the image size', () => {
    expect(cocoSegmentationToRle([], 3, 4)).toEqual({ width: 4, height: 3, counts: [12] });
  });

  it('polygons are rasterised at the image size (height, width) and merged', () => {
    const rings = [
      [0, 0, 2, 0, 2, 2, 0, 2, 0, 1],
      [3, 0, 4, 0, 4, 3],
    ];
    const r = cocoSegmentationToRle(rings, 3, 5);
    expect([r.width, r.height]).toEqual([5, 3]);
    expect(r).toEqual(rleFromPolygons(rings, 3, 5));
  });

  it('names what is wrong, with the default name "segmentation"', () => {
    const shapeMsg = 'segmentation must be a list of polygons or an RLE object {size, counts}';
    for (const bad of [5, null, 'abc', { size: [2, 2] }, { counts: [4] }, { size: 4, counts: [4] }]) {
      expect(() => cocoSegmentationToRle(bad, 2, 2), JSON.stringify(bad)).toThrow(shapeMsg);
    }
    expect(() => cocoSegmentationToRle([[0, 0, 1, 0, 1, 'x']], 2, 2)).toThrow('segmentation[0][5] must be a finite number');
    expect(() => cocoSegmentationToRle([[0, 0, 1, 0, 1, 1], 7], 2, 2)).toThrow('segmentation[1] must be a list of numbers');
    expect(() => cocoSegmentationToRle([[0, 0, 1, 1], [0, 0, 1, 0, 1, 1]], 2, 2)).toThrow('segmentation[1]: boxes must all have 4 numbers');
    expect(() => cocoSegmentationToRle({ size: [2], counts: [4] }, 2, 2)).toThrow('segmentation.size must be 2 numbers');
    expect(() => cocoSegmentationToRle({ size: [2, 2, 1], counts: [4] }, 2, 2)).toThrow('segmentation.size must be 2 numbers');
    expect(() => cocoSegmentationToRle({ size: [2, 2], counts: [1, 'a', 3] }, 2, 2)).toThrow('segmentation.counts[1] must be a finite number');
    expect(() => cocoSegmentationToRle({ size: [2, 3], counts: [1, 2] }, 2, 2)).toThrow('segmentation: RLE counts cover 3 pixels, its size is 2×3 = 6');
    expect(() => cocoSegmentationToRle({ size: [2, 2], counts: [4] }, 2, 2, 'annotations[3].segmentation')).not.toThrow();
    expect(() => cocoSegmentationToRle(7, 2, 2, 'annotations[3].segmentation')).toThrow('annotations[3].segmentation must be a list of polygons or an RLE object {size, counts}');
  });

  it('refuses numbers that are not finite', () => {
    expect(() => cocoSegmentationToRle([[0, 0, 1, 0, Number.NaN, 1]], 2, 2)).toThrow('segmentation[0][4] must be a finite number');
    expect(() => cocoSegmentationToRle([[0, 0, Number.POSITIVE_INFINITY, 0, 1, 1]], 2, 2)).toThrow('segmentation[0][2] must be a finite number');
  });
});

describe('cocoEvalInputFromJson: fields, loadRes branches and errors', () => {
  const gt = (annotations: unknown[], extra: Record<string, unknown> = {}) => ({
    images: [{ id: 7, width: 5, height: 3 }],
    categories: [{ id: 1, name: 'a' }],
    annotations,
    ...extra,
  });
  const ann = { id: 1, image_id: 7, category_id: 1, area: 6, bbox: [1, 0, 3, 2], iscrowd: 0, segmentation: [[1, 0, 4, 0, 4, 2, 1, 2]] };
  const res = (r: Record<string, unknown>) => ({ image_id: 7, category_id: 1, score: 0.9, ...r });

  it('an empty file gives an empty input; images and categories as written', () => {
    expect(cocoEvalInputFromJson({}, [], 'bbox')).toEqual({ images: [], categories: [], gts: [], dts: [], iouType: 'bbox' });
    const inp = cocoEvalInputFromJson(gt([], { categories: [{ id: 1, name: 'a' }, { id: 2, name: 5 }, { id: 3 }] }), [], 'segm');
    expect(inp.images).toEqual([{ id: 7, width: 5, height: 3 }]);
    expect(inp.categories).toEqual([{ id: 1, name: 'a' }, { id: 2, name: undefined }, { id: 3, name: undefined }]);
    expect(inp.iouType).toBe('segm');
  });

  it('gt: bbox only when written, keypoints and num_keypoints only for keypoints', () => {
    const noBox = { id: 2, image_id: 7, category_id: 1, area: 4, keypoints: [1, 1, 2], num_keypoints: 1 };
    const b = cocoEvalInputFromJson(gt([ann, noBox]), [], 'bbox');
    expect(b.gts[0]).toEqual({ id: 1, imageId: 7, categoryId: 1, area: 6, iscrowd: false, bbox: [1, 0, 3, 2] });
    expect(b.gts[1]).toEqual({ id: 2, imageId: 7, categoryId: 1, area: 4, iscrowd: false });
    const k = cocoEvalInputFromJson(gt([ann, noBox, { ...noBox, id: 3, num_keypoints: undefined }]), [], 'keypoints');
    expect(k.gts[0].keypoints).toBeUndefined();
    expect(k.gts[0].numKeypoints).toBeUndefined();
    expect(k.gts[1]).toEqual({ id: 2, imageId: 7, categoryId: 1, area: 4, iscrowd: false, keypoints: [1, 1, 2], numKeypoints: 1 });
    // Without num_keypoints it stays unset (the evaluation counts the labelled points).
    expect(k.gts[2].keypoints).toEqual([1, 1, 2]);
    expect('numKeypoints' in k.gts[2]).toBe(false);
  });

  it('gt: a crowd is iscrowd true; segm only for segm evaluation', () => {
    const inp = cocoEvalInputFromJson(gt([{ ...ann, iscrowd: 1 }]), [], 'bbox');
    expect(inp.gts[0].iscrowd).toBe(true);
    expect(inp.gts[0].segm).toBeUndefined();
  });

  it('gt: says which annotation field is wrong', () => {
    for (const f of ['id', 'image_id', 'category_id', 'area']) {
      expect(() => cocoEvalInputFromJson(gt([ann, { ...ann, [f]: 'x' }]), [], 'bbox'), f).toThrow(`annotations[1].${f} must be a finite number`);
    }
    expect(() => cocoEvalInputFromJson(gt([ann, { ...ann, bbox: [1, 2, 3] }]), [], 'bbox')).toThrow('annotations[1].bbox must be 4 numbers');
    expect(() => cocoEvalInputFromJson(gt([{ ...ann, segmentation: 3 }]), [], 'segm')).toThrow('annotations[0].segmentation must be a list of polygons');
    expect(() => cocoEvalInputFromJson(gt([{ ...ann, keypoints: 'x' }]), [], 'keypoints')).toThrow('annotations[0].keypoints must be a list of numbers');
    expect(() => cocoEvalInputFromJson(gt([{ ...ann, keypoints: [1, 1, 2], num_keypoints: 'one' }]), [], 'keypoints')).toThrow('annotations[0].num_keypoints must be a finite number');
    expect(() => cocoEvalInputFromJson(gt([ann, 5]), [], 'bbox')).toThrow('annotations[1] is not an object');
    expect(() => cocoEvalInputFromJson(gt([null]), [], 'bbox')).toThrow('annotations[0] is not an object');
    expect(() => cocoEvalInputFromJson(gt([[1, 2]]), [], 'bbox')).toThrow('annotations[0] is not an object');
  });

  it('says when the file, an image or a category is malformed', () => {
    const msg = 'ground-truth file: expected a JSON object with images, annotations, categories';
    expect(() => cocoEvalInputFromJson([], [], 'bbox')).toThrow(msg);
    expect(() => cocoEvalInputFromJson(null, [], 'bbox')).toThrow(msg);
    expect(() => cocoEvalInputFromJson('x', [], 'bbox')).toThrow(msg);
    expect(() => cocoEvalInputFromJson({}, {}, 'bbox')).toThrow('results: expected a JSON list of objects');
    expect(() => cocoEvalInputFromJson({ images: [{ id: 1 }, 'im'] }, [], 'bbox')).toThrow('images[1] is not an object');
    expect(() => cocoEvalInputFromJson({ images: [{ id: 1 }, { id: '2' }] }, [], 'bbox')).toThrow('images[1].id must be a finite number');
    expect(() => cocoEvalInputFromJson({ categories: [{ id: 1 }, null] }, [], 'bbox')).toThrow('categories[1] is not an object');
    expect(() => cocoEvalInputFromJson({ categories: [{ id: 1 }, { name: 'b' }] }, [], 'bbox')).toThrow('categories[1].id must be a finite number');
    // An image without a size cannot rasterise polygons.
    const noSize = { images: [{ id: 7 }], categories: [], annotations: [ann] };
    expect(() => cocoEvalInputFromJson(noSize, [], 'segm')).toThrow('image 7 height must be a finite number');
    expect(() => cocoEvalInputFromJson({ ...noSize, images: [{ id: 7, height: 3 }] }, [], 'segm')).toThrow('image 7 width must be a finite number');
    expect(cocoEvalInputFromJson(noSize, [], 'bbox').gts).toHaveLength(1);
  });

  it('results: says which result field is wrong', () => {
    for (const f of ['image_id', 'category_id', 'score']) {
      expect(() => cocoEvalInputFromJson(gt([]), [res({ bbox: [0, 0, 1, 1] }), res({ bbox: [0, 0, 1, 1], [f]: null })], 'bbox'), f).toThrow(`results[1].${f} must be a finite number`);
    }
    expect(() => cocoEvalInputFromJson(gt([]), [res({ bbox: [0, 0, 1, 1] }), 'r'], 'bbox')).toThrow('results[1] is not an object');
    expect(() => cocoEvalInputFromJson(gt([]), [null], 'bbox')).toThrow('results[0] is not an object');
    expect(() => cocoEvalInputFromJson(gt([]), [[1, 2]], 'bbox')).toThrow('results[0] is not an object');
    expect(() => cocoEvalInputFromJson(gt([]), [res({ bbox: [0, 0, 1, 1], segmentation: 4 })], 'segm')).toThrow('results[0].segmentation must be a list of polygons');
    expect(() => cocoEvalInputFromJson(gt([]), [res({ segmentation: 4 })], 'segm')).toThrow('results[0].segmentation must be a list of polygons');
    expect(() => cocoEvalInputFromJson(gt([]), [res({ segmentation: [], bbox: undefined }), res({ segmentation: [], bbox: [1] })], 'segm')).toThrow('results[1].bbox must be 4 numbers');
    expect(() => cocoEvalInputFromJson(gt([]), [res({ keypoints: [1, 1, 2] }), res({ keypoints: 3 })], 'keypoints')).toThrow('results[1].keypoints must be a list of numbers');
    expect(() => cocoEvalInputFromJson(gt([]), [res({ bbox: [0, 0, 1, 1] }), res({ bbox: [0, 0, 1, 1], keypoints: 3 })], 'keypoints')).toThrow('results[1].keypoints must be a list of numbers');
  });

  it('results with a box: area w × h; for segm the box rasterised, or the given segmentation', () => {
    const seg = { size: [3, 5], counts: [3, 3, 9] };
    const b = cocoEvalInputFromJson(gt([]), [res({ bbox: [1, 0, 2, 3] }), res({ bbox: [0, 0, 1, 1], segmentation: seg })], 'bbox');
    expect(b.dts.map((d) => [d.id, d.bbox, d.area])).toEqual([
      [1, [1, 0, 2, 3], 6],
      [2, [0, 0, 1, 1], 1],
    ]);
    expect(b.dts[0].segm).toBeUndefined();
    expect(b.dts[1].segm).toBeUndefined();
    const s = cocoEvalInputFromJson(gt([]), [res({ bbox: [1, 0, 2, 3] }), res({ bbox: [0, 0, 1, 1], segmentation: seg })], 'segm');
    expect(s.dts[0].segm).toEqual(rleFromPolygons([[1, 0, 1, 3, 3, 3, 3, 0]], 3, 5));
    // The given mask (column 1, all 3 rows), not the 1×1 box; the area stays the box's.
    expect(s.dts[1].segm).toEqual({ width: 5, height: 3, counts: [3, 3, 9] });
    expect(s.dts[1].area).toBe(1);
  });

  it('results with a mask and no box: area = mask pixels, box = toBbox unless written; segm only for segm', () => {
    // Column 1, rows 0-2 and column 2, row 1: toBbox [1, 0, 2, 3], 4 pixels.
    const seg = { size: [3, 5], counts: [3, 3, 1, 1, 7] };
    const rs = [res({ segmentation: seg }), res({ segmentation: seg, bbox: [0, 0, 5, 3] })];
    const s = cocoEvalInputFromJson(gt([]), rs, 'segm');
    expect(s.dts[0]).toMatchObject({ bbox: [1, 0, 2, 3], area: 4, segm: { width: 5, height: 3, counts: [3, 3, 1, 1, 7] } });
    expect(s.dts[1]).toMatchObject({ bbox: [0, 0, 5, 3], area: 4 });
    const b = cocoEvalInputFromJson(gt([]), rs, 'bbox');
    expect(b.dts[0]).toEqual({ id: 1, imageId: 7, categoryId: 1, score: 0.9, bbox: [1, 0, 2, 3], area: 4 });
  });

  it('an empty bbox on the first result does not pick the box branch (pycocotools: bbox == [])', () => {
    const k = cocoEvalInputFromJson(gt([]), [res({ bbox: [], keypoints: [1, 1, 2, 4, 3, 2] })], 'keypoints');
    expect(k.dts[0]).toEqual({ id: 1, imageId: 7, categoryId: 1, score: 0.9, bbox: [1, 1, 3, 2], area: 6, keypoints: [1, 1, 2, 4, 3, 2] });
  });

  it('keypoint results for a keypoints evaluation keep their points whichever branch applies', () => {
    const rs = [res({ bbox: [0, 0, 2, 2], keypoints: [1, 1, 2] }), res({ bbox: [0, 0, 4, 1] })];
    const k = cocoEvalInputFromJson(gt([]), rs, 'keypoints');
    // The box branch: box and area as written, the points read besides.
    expect(k.dts[0]).toEqual({ id: 1, imageId: 7, categoryId: 1, score: 0.9, bbox: [0, 0, 2, 2], area: 4, keypoints: [1, 1, 2] });
    expect('keypoints' in k.dts[1]).toBe(false);
    // Not for a bbox evaluation.
    const b = cocoEvalInputFromJson(gt([]), rs, 'bbox');
    expect(b.dts[0].keypoints).toBeUndefined();
    // The keypoints branch: the points' box (v not looked at), read once.
    const kk = cocoEvalInputFromJson(gt([]), [res({ keypoints: [2, 1, 0, 4, 5, 1] })], 'keypoints');
    expect(kk.dts[0]).toEqual({ id: 1, imageId: 7, categoryId: 1, score: 0.9, bbox: [2, 1, 2, 4], area: 8, keypoints: [2, 1, 0, 4, 5, 1] });
  });

  it('results with neither box, mask nor points carry no geometry', () => {
    const inp = cocoEvalInputFromJson(gt([]), [res({}), res({})], 'bbox');
    expect(inp.dts).toEqual([
      { id: 1, imageId: 7, categoryId: 1, score: 0.9 },
      { id: 2, imageId: 7, categoryId: 1, score: 0.9 },
    ]);
  });
});
