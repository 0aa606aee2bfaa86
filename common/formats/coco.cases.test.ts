/**
 * More COCO cases (issue 13): the edges of the format the first tests left open — what each writer leaves out
 * and why, the instance file's `area`, big files in chunks, and every refusal of the reader with its exact message.
 * Expected values are worked out by hand from the COCO format (bbox [x, y, w, h], area, iscrowd, polygon lists,
 * RLE {size: [h, w], counts}), not copied from the code's output.
 */
import { describe, expect, it } from 'vitest';
import type { Geometry } from '../api/contract.js';
import { rleFromPolygon, rleFromPolygons } from '../geometry/cocoPolygon.js';
import { rleArea } from '../geometry/rle.js';
import { refusal } from '../../test/formats-testkit.js';
import {
  cocoAnnotation,
  cocoCategories,
  cocoInstancesChunks,
  cocoResult,
  cocoResultsChunks,
  holdCocoCaption,
  holdCocoInstance,
  holdCocoResult,
  parseCocoAnnotation,
  parseCocoCaption,
  parseCocoCategory,
  parseCocoFile,
  parseCocoImage,
  parseCocoResult,
  type CocoContext,
  type CocoKnown,
} from './coco.js';
import { ExportTally, type FormatClass, type FormatImage, type FormatObject } from './types.js';

const obj = (id: number, cls: string | null, geometry: Geometry, attributes: FormatObject['attributes'] = {}, score: number | null = null): FormatObject => ({
  id,
  class: cls,
  kind: geometry.type,
  geometry,
  attributes,
  score,
});
const box = (x: number, y: number, w: number, h: number): Geometry => ({ type: 'box', x, y, w, h });
const img43: FormatImage = { id: 10, file: 'a.jpg', width: 4, height: 3 };

/** A reading context: categories 1 person (points a, b) and 2 car; image 7 of 4×3 and image 8 of unknown size. */
function ctxOf(images?: CocoContext['images']): CocoContext {
  return {
    file: 'f.json',
    categories: new Map<number, { name: string; keypoints: readonly string[] | null }>([
      [1, { name: 'person', keypoints: ['a', 'b'] }],
      [2, { name: 'car', keypoints: null }],
    ]),
    images:
      images ??
      new Map<number, { width: number | null; height: number | null }>([
        [7, { width: 4, height: 3 }],
        [8, { width: null, height: null }],
        [9, { width: 4, height: null }],
      ]),
    seenIds: new Set(),
  };
}
const ann = (extra: Record<string, unknown>) => ({ id: 40, image_id: 7, category_id: 2, bbox: [0, 0, 1, 1], iscrowd: 0, ...extra });
const annErr = (raw: unknown, ctx = ctxOf()) => refusal(() => parseCocoAnnotation(raw, 'annotations[0]', ctx, 3));
const geoms = (raw: unknown, ctx = ctxOf()) => parseCocoAnnotation(raw, 'annotations[0]', ctx).objects.map((o) => o.geometry);

// ---------------------------------------------------------------- export

describe('COCO export: categories, what is held, and each annotation', () => {
  it('categories are written in the project’s class order (index), with an empty supercategory', () => {
    const classes: FormatClass[] = [
      { name: 'c', index: 2, categoryId: 30, keypoints: null },
      { name: 'a', index: 0, categoryId: 10, keypoints: null },
      { name: 'b', index: 1, categoryId: 20, keypoints: { names: ['p', 'q'], edges: [[1, 0]] } },
    ];
    expect(cocoCategories(classes)).toEqual([
      { id: 10, name: 'a', supercategory: '' },
      { id: 20, name: 'b', supercategory: '', keypoints: ['p', 'q'], skeleton: [[2, 1]] },
      { id: 30, name: 'c', supercategory: '' },
    ]);
  });

  it('keypoints named otherwise than the template are not held: a name not in it, a name twice, or names not matching the points', () => {
    const t = ['x', 'y'];
    const kp = (points: number[], names: string[]) => holdCocoInstance(obj(1, 'p', { type: 'keypoints', points, names }), t);
    expect(kp([1, 1, 2, 2, 2, 2], ['x', 'z'])).toBe('keypoints that do not match their class’s keypoint template');
    expect(kp([1, 1, 2, 2, 2, 2], ['x', 'x'])).toBe('keypoints that do not match their class’s keypoint template');
    expect(kp([1, 1, 2, 2, 2, 2], ['y'])).toBe('keypoints that do not match their class’s keypoint template');
    // A subset, by name, is placed in the template's order; the missing point is written absent.
    expect(kp([5, 6, 1], ['y'])).toEqual([{ class: 'p', kind: 'keypoints', geometry: { type: 'keypoints', points: [0, 0, 0, 5, 6, 1], names: ['x', 'y'] }, attributes: {}, score: null }]);
    const held = kp([5, 6, 1, 7, 8, 2], ['y', 'x']);
    expect(held).toEqual([{ class: 'p', kind: 'keypoints', geometry: { type: 'keypoints', points: [7, 8, 2, 5, 6, 1], names: ['x', 'y'] }, attributes: {}, score: null }]);
  });

  it("an `area` attribute is held only where it differs from the shape's own (w·h of a box)", () => {
    const held = (attributes: FormatObject['attributes']) => holdCocoInstance(obj(1, 'car', box(0, 0, 2, 3), attributes));
    expect(held({ area: 6 })).toEqual([{ class: 'car', kind: 'box', geometry: box(0, 0, 2, 3), attributes: {}, score: null }]);
    expect(held({ area: 5 })).toEqual([{ class: 'car', kind: 'box', geometry: box(0, 0, 2, 3), attributes: { area: 5 }, score: null }]);
    expect(held({ area: 'big' })).toEqual([{ class: 'car', kind: 'box', geometry: box(0, 0, 2, 3), attributes: { area: 'big' }, score: null }]);
  });

  it('results and captions hold only what they can, and say why not', () => {
    expect(holdCocoResult(obj(1, null, { type: 'caption', text: 't' }))).toBe('captions go to captions.json');
    expect(holdCocoResult(obj(1, null, box(0, 0, 1, 1)))).toBe('shapes without a class');
    expect(holdCocoCaption(obj(1, 'car', box(0, 0, 1, 1)))).toBe('only captions go to captions.json');
  });

  it('cocoAnnotation writes the held area in place of the shape’s, and a non-numeric `area` as a free attribute', () => {
    const one = (attributes: FormatObject['attributes']) => {
      const o = obj(3, 'car', box(1, 1, 2, 3), attributes);
      return cocoAnnotation(o, holdCocoInstance(o), img43, 3, 5);
    };
    expect(one({ area: 7 })).toEqual({ id: 3, image_id: 10, category_id: 5, segmentation: [], area: 7, bbox: [1, 1, 2, 3], iscrowd: 0 });
    expect(one({ area: 'big' })).toEqual({ id: 3, image_id: 10, category_id: 5, segmentation: [], area: 6, bbox: [1, 1, 2, 3], iscrowd: 0, attributes: { area: 'big' } });
    // Key order follows the official files; keypoints only on keypoint annotations.
    expect(Object.keys(one({}))).toEqual(['id', 'image_id', 'category_id', 'segmentation', 'area', 'bbox', 'iscrowd']);
  });

  it('cocoResult keys: keypoints and segmentation only where the shape has them', () => {
    const held = holdCocoResult(obj(1, 'car', box(0, 0, 2, 2), {}, 0.5));
    expect(Object.keys(cocoResult(held, img43, 2))).toEqual(['image_id', 'category_id', 'bbox', 'score']);
    const poly = holdCocoResult(obj(1, 'car', { type: 'polygon', points: [0, 0, 2, 0, 2, 2] }, {}, 0.5));
    expect(cocoResult(poly, img43, 2)).toEqual({ image_id: 10, category_id: 2, bbox: [0, 0, 2, 2], score: 0.5, segmentation: [[0, 0, 2, 0, 2, 2]] });
  });

  it('cocoAnnotation and cocoResult refuse to write what nothing holds, or a shape COCO has none for', () => {
    const o = obj(1, 'car', box(0, 0, 1, 1));
    expect(() => cocoAnnotation(o, 'shapes without a class', img43, 1, 2)).toThrow('nothing to write: shapes without a class');
    expect(() => cocoAnnotation(o, [], img43, 1, 2)).toThrow('nothing to write: no object held');
    expect(() => cocoResult([], img43, 2)).toThrow('nothing to write: no object held');
    const tag = [{ class: 'car', kind: 'tag' as const, geometry: { type: 'tag' } as Geometry, attributes: {}, score: null }];
    expect(() => cocoAnnotation(o, tag, img43, 1, 2)).toThrow('COCO has no shape for a tag');
  });
});

describe('COCO export: what the instance and result writers leave out, counted by reason', () => {
  const cats = [{ id: 1, name: 'person', supercategory: '', keypoints: ['a', 'b'] }, { id: 2, name: 'car', supercategory: '' }];
  const write = (objects: { object: FormatObject; categoryId: number }[]) => {
    const tally = new ExportTally();
    const text = [...cocoInstancesChunks({}, cats, [img43], objects.map((o) => ({ image: img43, ...o })), tally)].join('');
    return { annotations: (JSON.parse(text) as { annotations: { id: number }[] }).annotations.map((a) => a.id), skipped: Object.fromEntries(tally.notExported) };
  };
  const writeResults = (objects: { object: FormatObject; categoryId: number }[]) => {
    const tally = new ExportTally();
    const text = [...cocoResultsChunks(objects.map((o) => ({ image: img43, ...o })), tally, cats)].join('');
    return { results: (JSON.parse(text) as { category_id: number; score: number }[]).length, skipped: Object.fromEntries(tally.notExported) };
  };
  const mask = (width: number, height: number): Geometry => ({ type: 'mask', width, height, counts: [width * height] });

  it('named keypoints of a category without a template are left out, not written in their own order', () => {
    const kp: Geometry = { type: 'keypoints', points: [1, 1, 2], names: ['a'] };
    expect(write([{ object: obj(1, 'car', kp), categoryId: 2 }])).toEqual({ annotations: [], skipped: { 'keypoints of a class without a keypoint template': 1 } });
    expect(write([{ object: obj(2, null, kp), categoryId: 2 }])).toEqual({ annotations: [], skipped: { 'shapes without a class': 1 } });
  });

  it('a mask is left out when its width or its height differs from the image’s; one of the right size is written', () => {
    expect(write([{ object: obj(1, 'car', mask(4, 3)), categoryId: 2 }])).toEqual({ annotations: [1], skipped: {} });
    expect(write([{ object: obj(2, 'car', mask(5, 3)), categoryId: 2 }])).toEqual({ annotations: [], skipped: { 'masks whose size differs from their image': 1 } });
    expect(write([{ object: obj(3, 'car', mask(4, 2)), categoryId: 2 }])).toEqual({ annotations: [], skipped: { 'masks whose size differs from their image': 1 } });
    // The first reason counts: a mask without a class is counted as such, whatever its size.
    expect(write([{ object: obj(4, null, mask(5, 3)), categoryId: 2 }])).toEqual({ annotations: [], skipped: { 'shapes without a class': 1 } });
  });

  it('results: the same size rule, unclassed shapes counted, captions left to the caption results without a count', () => {
    expect(writeResults([{ object: obj(1, 'car', mask(4, 3), {}, 0.5), categoryId: 2 }])).toEqual({ results: 1, skipped: {} });
    expect(writeResults([{ object: obj(2, 'car', mask(5, 3), {}, 0.5), categoryId: 2 }])).toEqual({ results: 0, skipped: { 'masks whose size differs from their image': 1 } });
    expect(writeResults([{ object: obj(3, 'car', mask(4, 2), {}, 0.5), categoryId: 2 }])).toEqual({ results: 0, skipped: { 'masks whose size differs from their image': 1 } });
    expect(writeResults([{ object: obj(4, null, mask(5, 3), {}, 0.5), categoryId: 2 }])).toEqual({ results: 0, skipped: { 'shapes without a class': 1 } });
    expect(writeResults([{ object: obj(5, null, { type: 'caption', text: 'x' }, {}, 0.5), categoryId: 0 }])).toEqual({ results: 0, skipped: {} });
  });

  it('without categories, results of boxes still write (keypoint templates are the only thing categories give)', () => {
    const tally = new ExportTally();
    const text = [...cocoResultsChunks([{ image: img43, object: obj(1, 'car', box(0, 0, 1, 2), {}, 0.5), categoryId: 2 }], tally)].join('');
    expect(JSON.parse(text)).toEqual([{ image_id: 10, category_id: 2, bbox: [0, 0, 1, 2], score: 0.5 }]);
  });

  it('a big file comes in chunks of at least 64 KiB (only the last is shorter) that join into the whole file', () => {
    const n = 3000;
    const objects = Array.from({ length: n }, (_, i) => ({ image: img43, object: obj(i + 1, 'car', box(i % 4, 0, 1, 1)), categoryId: 2 }));
    const chunks = [...cocoInstancesChunks({}, cats, [img43], objects, new ExportTally())];
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks) expect(typeof c).toBe('string');
    for (const c of chunks.slice(0, -1)) expect(c.length).toBeGreaterThanOrEqual(65536);
    const whole = JSON.parse(chunks.join('')) as { annotations: { id: number; bbox: number[] }[] };
    expect(whole.annotations).toHaveLength(n);
    expect(whole.annotations[n - 1]).toMatchObject({ id: n, bbox: [(n - 1) % 4, 0, 1, 1] });

    const results = [...cocoResultsChunks(objects.map((r) => ({ ...r, object: { ...r.object, score: 0.5 } })), new ExportTally())];
    expect(results.length).toBeGreaterThan(2);
    for (const c of results) expect(typeof c).toBe('string');
    for (const c of results.slice(0, -1)) expect(c.length).toBeGreaterThanOrEqual(65536);
    expect(JSON.parse(results.join(''))).toHaveLength(n);
  });
});

// ---------------------------------------------------------------- import: records

describe('COCO import: categories', () => {
  const cat = (raw: unknown) => parseCocoCategory(raw, 'categories[0]', 'f.json', 2);
  const catErr = (raw: unknown) => refusal(() => cat(raw));

  it('supercategory is kept when it is a string, else empty; keypoints and skeleton null or empty mean none', () => {
    expect(cat({ id: 1, name: 'dog', supercategory: 'animal' })).toEqual({ id: 1, name: 'dog', supercategory: 'animal', keypoints: null, skeleton: [] });
    expect(cat({ id: 1, name: 'dog', supercategory: 5 })).toEqual({ id: 1, name: 'dog', supercategory: '', keypoints: null, skeleton: [] });
    expect(cat({ id: 1, name: 'dog', keypoints: null, skeleton: null })).toEqual({ id: 1, name: 'dog', supercategory: '', keypoints: null, skeleton: [] });
    expect(cat({ id: 1, name: 'dog', keypoints: [], skeleton: [] })).toEqual({ id: 1, name: 'dog', supercategory: '', keypoints: null, skeleton: [] });
    // COCO's skeleton is 1-based; ours is 0-based.
    expect(cat({ id: 1, name: 'p', keypoints: ['a', 'b', 'c'], skeleton: [[1, 3], [3, 2]] }).skeleton).toEqual([[0, 2], [2, 1]]);
  });

  it('refuses a category that is not an object, or has a blank name', () => {
    const e = catErr([1]);
    expect([e.file, e.where, e.problem]).toEqual(['f.json', 'categories[0], line 2', 'a category must be a JSON object, found [1]']);
    expect(catErr({ id: 1, name: '  ' }).problem).toBe('name must be a non-empty string, found "  "');
    expect(catErr({ id: 1.5, name: 'a' }).problem).toBe('id must be an integer, found 1.5');
  });

  it('refuses keypoint names that are not a list of non-empty strings', () => {
    for (const keypoints of ['nose', ['a', ''], ['a', ' '], ['a', 3]]) {
      expect(catErr({ id: 1, name: 'p', keypoints }).problem).toBe(`keypoints must be a list of non-empty names, found ${JSON.stringify(keypoints)}`);
    }
  });

  it('refuses a skeleton that is not a list of pairs of different points numbered 1 to n', () => {
    expect(catErr({ id: 1, name: 'p', keypoints: ['a', 'b', 'c'], skeleton: 'x' }).problem).toBe('skeleton must be a list of [a, b] pairs, found "x"');
    expect(catErr({ id: 1, name: 'p', skeleton: [[1, 2]] }).problem).toBe('skeleton edge [1,2] must join two different points numbered 1 to 0');
    for (const edge of [5, [1, 2, 3], [1], [0, 1], [1.5, 2], [1, 4], [2, 2]]) {
      expect(catErr({ id: 1, name: 'p', keypoints: ['a', 'b', 'c'], skeleton: [[1, 2], edge] }).problem).toBe(`skeleton edge ${JSON.stringify(edge)} must join two different points numbered 1 to 3`);
    }
  });
});

describe('COCO import: images', () => {
  it('a size of 1 × 1 is the smallest there is; a non-object and an empty file_name are refused', () => {
    expect(parseCocoImage({ id: 3, file_name: 'x.png', width: 1, height: 1 }, 'images[0]', 'f.json')).toEqual({ id: 3, file: 'x.png', width: 1, height: 1 });
    const e = refusal(() => parseCocoImage([], 'images[2]', 'f.json', 4));
    expect([e.where, e.problem]).toEqual(['images[2], line 4', 'an image must be a JSON object, found []']);
    expect(refusal(() => parseCocoImage({ id: 3, file_name: '' }, 'images[0]', 'f.json')).problem).toBe('file_name must be a non-empty string, found ""');
    expect(refusal(() => parseCocoImage({ id: 3, file_name: 'x', height: 0 }, 'images[0]', 'f.json')).problem).toBe('height must be at least 1, found 0');
  });
});

describe('COCO import: annotations', () => {
  it('a record that is not an object is refused as such (an array is not an object); without a line, the place has none', () => {
    const e = refusal(() => parseCocoAnnotation([1, 2], 'annotations[0]', ctxOf()));
    expect([e.where, e.problem]).toEqual(['annotations[0]', 'an annotation must be a JSON object, found [1,2]']);
    expect(refusal(() => parseCocoAnnotation(ann({ id: 1.5 }), 'annotations[0]', ctxOf())).problem).toBe('id must be an integer, found 1.5');
  });

  it('image and category ids not in the dataset are named, with what there is', () => {
    expect(annErr(ann({ image_id: 6 })).problem).toBe('image_id 6 is not among the 3 images of the dataset');
    // A lookup that reads images on demand has no count to give.
    const lookup = { get: (id: number) => (id === 7 ? { width: 4, height: 3 } : undefined), has: (id: number) => id === 7 };
    expect(annErr(ann({ image_id: 6 }), ctxOf(lookup)).problem).toBe('image_id 6 is not among the images of the dataset');
    expect(geoms(ann({}), ctxOf(lookup))).toEqual([box(0, 0, 1, 1)]);
    const none: CocoContext = { ...ctxOf(), categories: new Map() };
    expect(annErr(ann({}), none).problem).toBe('category_id 2 is not among the categories (none)');
    const many: CocoContext = { ...ctxOf(), categories: new Map(Array.from({ length: 25 }, (_, i) => [i + 1, { name: `c${i + 1}`, keypoints: null }])) };
    expect(annErr(ann({ category_id: 99 }), many).problem).toBe(`category_id 99 is not among the categories (${Array.from({ length: 20 }, (_, i) => i + 1).join(', ')})`);
  });

  it('bbox: coordinates up to ±1e9 pass, beyond is overflow; a negative height and a non-number are named', () => {
    expect(geoms(ann({ bbox: [1e9, -1e9, 1, 1] }))).toEqual([box(1e9, -1e9, 1, 1)]);
    expect(annErr(ann({ bbox: [1e9 + 1, 0, 1, 1] })).problem).toBe('bbox holds 1000000001, beyond ±1000000000 (overflow?)');
    expect(annErr(ann({ bbox: [0, 0, 1, -1] })).problem).toBe('bbox [0,0,1,-1] has a negative width or height');
    expect(annErr(ann({ bbox: [0, '1', 1, 1] })).problem).toBe('bbox holds "1", which is not a finite number');
    expect(geoms(ann({ bbox: null, segmentation: [[0, 0, 2, 0, 2, 2]] }))).toEqual([{ type: 'polygon', points: [0, 0, 2, 0, 2, 2] }]);
  });

  it('long values are cut short in messages (at most 60 characters)', () => {
    const long = 'a'.repeat(100);
    expect(annErr(ann({ segmentation: long })).problem).toBe(`segmentation must be a list of polygons or an RLE object {size, counts}, found "${'a'.repeat(56)}...`);
    const fits = 'a'.repeat(58); // 60 characters with its quotes
    expect(annErr(ann({ segmentation: fits })).problem).toBe(`segmentation must be a list of polygons or an RLE object {size, counts}, found "${fits}"`);
  });

  it('segmentation null means none; a polygon ring’s bad number is named with the ring', () => {
    expect(geoms(ann({ segmentation: null }))).toEqual([box(0, 0, 1, 1)]);
    expect(annErr(ann({ segmentation: [[0, 0, 2, 0, 2, 2], [0, 0, 1, 0, 1, 'x']] })).problem).toBe('segmentation polygon 1 holds "x", which is not a finite number');
  });

  it('a polygon of several parts becomes one mask of the image’s size, as pycocotools merges them', () => {
    const rings = [
      [0, 0, 1, 0, 1, 1, 0, 1],
      [2, 1, 3, 1, 3, 2, 2, 2],
    ];
    const g = geoms(ann({ segmentation: rings, bbox: [0, 0, 3, 2] }));
    expect(g).toEqual([{ type: 'mask', width: 4, height: 3, ...{ counts: rleFromPolygons(rings, 3, 4).counts } }]);
    // Disjoint parts: the mask's area is the sum of the parts'.
    const m = g[0] as { type: 'mask'; width: number; height: number; counts: number[] };
    expect(rleArea(m)).toBe(rleArea(rleFromPolygon(rings[0], 3, 4)) + rleArea(rleFromPolygon(rings[1], 3, 4)));
    expect(rleArea(m)).toBeGreaterThan(0);
    // It needs both the width and the height.
    expect(annErr(ann({ image_id: 9, segmentation: rings })).problem).toBe('a polygon of several parts becomes a mask, which needs the image’s width and height; the image has none');
    // A polygon too long to rasterise is refused with the reason.
    const huge = [0, 0, 1e8, 0, 0, 1e8];
    expect(annErr(ann({ segmentation: [huge, huge] })).problem).toMatch(/^segmentation: polygon outline is too long to rasterise/);
  });

  it('RLE size must be [height, width] of positive whole numbers, matching the image where it has a size', () => {
    for (const size of ['x', [3, 4, 1], [3], [0, 4], [3, 0], [3, 4.5], [-3, 4]]) {
      expect(annErr(ann({ segmentation: { size, counts: [12] } })).problem).toBe(`segmentation size must be [height, width], found ${JSON.stringify(size)}`);
    }
    expect(annErr(ann({ segmentation: { size: [3, 5], counts: [15] } })).problem).toBe("segmentation size [3, 5] differs from the image's [height, width] [3, 4]");
    expect(annErr(ann({ segmentation: { size: [2, 4], counts: [8] } })).problem).toBe("segmentation size [2, 4] differs from the image's [height, width] [3, 4]");
    // An image of unknown (or half-known) size takes the RLE's.
    expect(geoms(ann({ image_id: 8, segmentation: { size: [2, 5], counts: [3, 7] } }))).toEqual([{ type: 'mask', width: 5, height: 2, counts: [3, 7] }]);
    expect(geoms(ann({ image_id: 9, segmentation: { size: [2, 4], counts: [8] } }))).toEqual([{ type: 'mask', width: 4, height: 2, counts: [8] }]);
  });

  it('RLE counts must be a compressed string or a list of whole run lengths', () => {
    expect(annErr(ann({ segmentation: { size: [3, 4], counts: 5 } })).problem).toBe('segmentation counts must be a string or a list of run lengths, found 5');
    expect(annErr(ann({ segmentation: { size: [3, 4], counts: {} } })).problem).toBe('segmentation counts must be a string or a list of run lengths, found {}');
    expect(annErr(ann({ segmentation: { size: [3, 4], counts: [1.5, 10.5] } })).problem).toBe('segmentation counts must be non-negative integers');
  });

  it('keypoints: null or [] mean none; not a list, or a bad visibility, is named with the point', () => {
    expect(geoms(ann({ category_id: 1, keypoints: null }))).toEqual([box(0, 0, 1, 1)]);
    expect(geoms(ann({ category_id: 1, keypoints: [] }))).toEqual([box(0, 0, 1, 1)]);
    expect(annErr(ann({ category_id: 1, keypoints: 'x' })).problem).toBe('keypoints must be a list of numbers, found "x"');
    expect(annErr(ann({ category_id: 1, keypoints: [1, 1, 2, 1, 1, 5] })).problem).toBe("keypoint 1 has visibility 5; COCO's are 0 (absent), 1 (occluded) and 2 (visible)");
    expect(annErr(ann({ category_id: 1, keypoints: [1, 1, 3, 1, 1, 2] })).problem).toBe("keypoint 0 has visibility 3; COCO's are 0 (absent), 1 (occluded) and 2 (visible)");
  });

  it('a results’ keypoint confidence: positive reads as visible, negative as absent', () => {
    const ctx = ctxOf();
    const r = parseCocoResult({ image_id: 7, category_id: 1, keypoints: [1, 1, -0.5, 2, 2, 0.25], score: 0.5 }, '[0]', ctx);
    expect(r.objects.map((o) => o.geometry)).toEqual([{ type: 'keypoints', points: [1, 1, 0, 2, 2, 2], names: ['a', 'b'] }]);
  });

  it('a person box that shares only some numbers with the keypoints’ extent is kept beside them, with its own attributes', () => {
    // Points (10, 10) and (20, 30): extent [10, 10, 10, 20]; the box starts at the same x and y but is larger.
    const objs = parseCocoAnnotation(ann({ id: 41, category_id: 1, keypoints: [10, 10, 2, 20, 30, 1], bbox: [10, 10, 99, 99] }), 'annotations[0]', ctxOf()).objects;
    expect(objs.map((o) => [o.geometry, o.attributes])).toEqual([
      [{ type: 'keypoints', points: [10, 10, 2, 20, 30, 1], names: ['a', 'b'] }, { group_id: 41 }],
      [box(10, 10, 99, 99), { group_id: 41 }],
    ]);
    // Two objects, two attribute records: editing one does not change the other.
    expect(objs[0].attributes).not.toBe(objs[1].attributes);
  });

  it('attributes: null means none; anything but an object is refused', () => {
    expect(parseCocoAnnotation(ann({ attributes: null }), 'annotations[0]', ctxOf()).objects[0].attributes).toEqual({});
    expect(annErr(ann({ attributes: [1] })).problem).toBe('attributes must be an object, found [1]');
    expect(annErr(ann({ attributes: 'x' })).problem).toBe('attributes must be an object, found "x"');
  });

  it('iscrowd: absent or null mean 0; true and 1 mean crowd; 0 clears an `iscrowd` attribute', () => {
    const attrs = (extra: Record<string, unknown>) => parseCocoAnnotation({ id: 40, image_id: 7, category_id: 2, bbox: [0, 0, 1, 1], ...extra }, 'annotations[0]', ctxOf()).objects[0].attributes;
    expect(attrs({})).toEqual({});
    expect(attrs({ iscrowd: null })).toEqual({});
    expect(attrs({ iscrowd: true })).toEqual({ iscrowd: true });
    expect(attrs({ iscrowd: 1 })).toEqual({ iscrowd: true });
    expect(attrs({ iscrowd: false })).toEqual({});
    expect(attrs({ iscrowd: 0, attributes: { iscrowd: true } })).toEqual({});
    expect(refusal(() => attrs({ iscrowd: '1' })).problem).toBe('iscrowd must be 0 or 1, found "1"');
  });

  it('score null on an annotation means none', () => {
    expect(parseCocoAnnotation(ann({ score: null }), 'annotations[0]', ctxOf()).objects[0].score).toBeNull();
  });

  it("area: kept only where it differs from the shape's, and on keypoints rather than the person's box", () => {
    const attrs = (extra: Record<string, unknown>) => parseCocoAnnotation(ann({ bbox: [0, 0, 2, 3], ...extra }), 'annotations[0]', ctxOf()).objects.map((o) => o.attributes);
    expect(attrs({ area: 6 })).toEqual([{}]); // w·h = 6: the box's own
    expect(attrs({ area: 5 })).toEqual([{ area: 5 }]);
    expect(attrs({ area: null })).toEqual([{}]);
    expect(attrs({ area: 0 })).toEqual([{ area: 0 }]);
    // A crowd RLE of 6 set pixels (counts 4, 6, 2 of 3×4) with area 6: nothing to keep.
    expect(attrs({ iscrowd: 1, segmentation: { size: [3, 4], counts: [4, 6, 2] }, area: 6 })).toEqual([{ iscrowd: true }]);
    expect(attrs({ iscrowd: 1, segmentation: { size: [3, 4], counts: [4, 6, 2] }, area: 7 })).toEqual([{ iscrowd: true, area: 7 }]);
    // Keypoints (10,10), (20,30): extent area 10 × 20 = 200; the file's 900 is the person's, kept on the points only.
    const kp = parseCocoAnnotation(ann({ id: 41, category_id: 1, keypoints: [10, 10, 2, 20, 30, 1], bbox: [5, 5, 30, 40], area: 900 }), 'annotations[0]', ctxOf()).objects;
    expect(kp.map((o) => [o.geometry.type, o.attributes])).toEqual([
      ['keypoints', { group_id: 41, area: 900 }],
      ['box', { group_id: 41 }],
    ]);
    for (const area of ['x', -1, Infinity]) expect(annErr(ann({ area })).problem).toBe(`area must be a number ≥ 0, found ${typeof area === 'string' ? '"x"' : String(area)}`);
  });

  it('results and captions that are not objects are refused as such', () => {
    const ctx = ctxOf();
    expect(refusal(() => parseCocoResult('x', '[0]', ctx)).problem).toBe('a result must be a JSON object, found "x"');
    expect(refusal(() => parseCocoCaption(null, '[0]', ctx)).problem).toBe('a caption must be a JSON object, found null');
  });

  it('captions: an id is optional, but when given it must be a whole number seen once', () => {
    const ctx = ctxOf();
    expect(parseCocoCaption({ image_id: 7, caption: 'a' }, '[0]', ctx).objects[0].geometry).toEqual({ type: 'caption', text: 'a' });
    expect(parseCocoCaption({ image_id: 7, caption: 'b' }, '[1]', ctx).objects[0].geometry).toEqual({ type: 'caption', text: 'b' });
    parseCocoCaption({ id: 5, image_id: 7, caption: 'c' }, 'annotations[0]', ctx);
    expect(refusal(() => parseCocoCaption({ id: 5, image_id: 7, caption: 'd' }, 'annotations[1]', ctx)).problem).toBe('duplicate annotation id 5');
    expect(refusal(() => parseCocoCaption({ id: 'x', image_id: 7, caption: 'd' }, 'annotations[2]', ctx)).problem).toBe('id must be an integer, found "x"');
  });
});

// ---------------------------------------------------------------- import: whole files

describe('COCO import: whole files', () => {
  const known = (): CocoKnown => ({
    categories: new Map([[2, { name: 'car', keypoints: null }]]),
    images: new Map([[7, { file: 'x.jpg', width: 4, height: 3 }]]),
  });

  it('info is the `info` value, whatever other top-level values follow it', () => {
    const f = parseCocoFile('{"info": {"year": 2017}, "licenses": {"id": 1}, "images": [], "annotations": []}', 'f.json');
    expect(f.info).toEqual({ year: 2017 });
  });

  it('empty and missing sections: an instances file with no annotations, and an empty results list', () => {
    expect(parseCocoFile('{"images": [{"id": 1, "file_name": "a.jpg"}], "annotations": []}', 'f.json')).toEqual({
      kind: 'instances',
      info: null,
      categories: [],
      images: [{ id: 1, file: 'a.jpg', width: null, height: null, objects: [] }],
      records: 0,
    });
    expect(parseCocoFile('{"images": [{"id": 1, "file_name": "a.jpg"}]}', 'f.json')).toMatchObject({ kind: 'instances', records: 0 });
    expect(parseCocoFile('[]', 'r.json', known())).toEqual({ kind: 'results', info: null, categories: [], images: [], records: 0 });
  });

  it('a results file: categories empty, images in first-use order', () => {
    const k = known();
    k.images.set(3, { file: 'w.jpg', width: 4, height: 3 });
    const r = parseCocoFile('[{"image_id": 3, "category_id": 2, "bbox": [0, 0, 1, 1], "score": 0.5}, {"image_id": 7, "category_id": 2, "bbox": [1, 1, 1, 1], "score": 0.25}]', 'r.json', k);
    expect(r.categories).toEqual([]);
    expect(r.images.map((i) => [i.id, i.file, i.objects.length])).toEqual([
      [3, 'w.jpg', 1],
      [7, 'x.jpg', 1],
    ]);
  });

  it('a first record that is not an object is named, in instances and in results', () => {
    const e = refusal(() => parseCocoFile('{"images": [], "annotations": [5]}', 'f.json'));
    expect([e.where, e.problem]).toEqual(['annotations[0], line 1', 'an annotation must be a JSON object, found 5']);
    const r = refusal(() => parseCocoFile('[5]', 'r.json', known()));
    expect([r.where, r.problem]).toEqual(['[0], line 1', 'a result must be a JSON object, found 5']);
  });

  it('errors name the section, index, id and line: categories, images, captions, caption results', () => {
    const where = (text: string, k?: CocoKnown) => {
      const e = refusal(() => parseCocoFile(text, 'f.json', k));
      return [e.where, e.problem];
    };
    expect(where('{"categories": [{"id": 1, "name": "a"},\n{"id": 2, "name": ""}]}')).toEqual(['categories[1] (id 2), line 2', 'name must be a non-empty string, found ""']);
    expect(where('{"categories": [{"id": 1, "name": "a"},\n{"id": 1, "name": "b"}]}')).toEqual(['categories[1] (id 1), line 2', 'duplicate category id 1']);
    expect(where('{"categories": [{"id": }]}')).toEqual(['categories[0], line 1', expect.stringMatching(/^malformed JSON: /)]);
    expect(where('{"images": [{"id": 1, "file_name": "a"},\n{"id": 2}]}')).toEqual(['images[1] (id 2), line 2', 'file_name must be a non-empty string, found undefined']);
    expect(where('{"images": [{"id": 1, "file_name": "a"},\n{"id": 1, "file_name": "b"}]}')).toEqual(['images[1] (id 1), line 2', 'duplicate image id 1']);
    expect(where('{"images": [{"id": }]}')).toEqual(['images[0], line 1', expect.stringMatching(/^malformed JSON: /)]);
    expect(where('{"images": [{"id": 7, "file_name": "a"}], "annotations": [{"image_id": 7, "caption": "a"},\n{"image_id": 7, "caption": 3}]}')).toEqual([
      'annotations[1], line 2',
      'caption must be a string, found 3',
    ]);
    expect(where('[{"image_id": 7, "caption": "a"},\n{"image_id": 7, "caption": 3}]', known())).toEqual(['[1], line 2', 'caption must be a string, found 3']);
    expect(where('[\n{"image_id": }\n]', known())).toEqual(['[0], line 2', expect.stringMatching(/^malformed JSON: /)]);
  });

  it('a malformed info is named with its line', () => {
    const e = refusal(() => parseCocoFile('{\n"info": {"year": },\n"images": []}', 'f.json'));
    expect([e.file, e.where]).toEqual(['f.json', 'info, line 2']);
    expect(e.problem).toMatch(/^malformed JSON: /);
  });
});
