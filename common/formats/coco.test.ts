import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Geometry } from '../api/contract.js';
import { rleFromPolygons } from '../geometry/cocoPolygon.js';
import { encodeRle, rleArea, rleBbox, rleToString } from '../geometry/rle.js';
import { mulberry32 } from '../random.js';
import {
  cocoAnnotation,
  cocoCaptionResultsChunks,
  cocoCaptionsChunks,
  cocoCategories,
  cocoImage,
  cocoInstancesChunks,
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
  type CocoObjectRef,
} from './coco.js';
import { JsonSplitter } from './jsonStream.js';
import { ExportTally, FormatError, type FormatClass, type FormatImage, type FormatObject, type ParsedObject } from './types.js';

const TESTDATA = path.resolve(__dirname, 'testdata/coco');
const REF = path.resolve(__dirname, '../../../shared/reference/metrics');
const golden = (name: string) => readFileSync(path.join(TESTDATA, name), 'utf8');

function loadRef<T>(rel: string): T | null {
  const file = path.join(REF, rel);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as T;
  console.log(`skipped: ${file} is absent (the pycocotools reference files live in ../shared/reference/metrics)`);
  return null;
}

const obj = (id: number, cls: string | null, geometry: Geometry, attributes: FormatObject['attributes'] = {}, score: number | null = null): FormatObject => ({
  id,
  class: cls,
  kind: geometry.type,
  geometry,
  attributes,
  score,
});

const strip = (objects: ParsedObject[]) => objects.map(({ where: _where, ...o }) => o);
const join = (chunks: Iterable<string>) => [...chunks].join('');

// ---------------------------------------------------------------- the golden project

const classes: FormatClass[] = [
  { name: 'car', index: 1, categoryId: 3, keypoints: null },
  { name: 'person', index: 0, categoryId: 1, keypoints: { names: ['head', 'left_hand', 'right_hand'], edges: [[0, 1], [0, 2]] } },
  { name: 'dog', index: 2, categoryId: 2, keypoints: null },
];
const categoryIdOf = (name: string | null) => classes.find((c) => c.name === name)?.categoryId ?? -1;
const imgA: FormatImage = { id: 10, file: 'street/a.jpg', width: 4, height: 3 };
const imgB: FormatImage = { id: 11, file: 'b.png', width: 6, height: 5 };
const info = { description: 'golden', version: '1.0' };

const goldenProject: { image: FormatImage; object: FormatObject }[] = [
  { image: imgA, object: obj(100, 'car', { type: 'box', x: 0.5, y: 1, w: 2, h: 1.5 }) },
  { image: imgA, object: obj(101, 'dog', { type: 'polygon', points: [0, 0, 3, 0, 3, 2] }, { occluded: true, note: 'x' }) },
  { image: imgA, object: obj(102, 'dog', { type: 'mask', width: 4, height: 3, counts: [1, 2, 9] }, {}, 0.75) },
  { image: imgA, object: obj(103, 'car', { type: 'mask', width: 4, height: 3, counts: [4, 6, 2] }, { iscrowd: 1 }) },
  { image: imgB, object: obj(104, 'person', { type: 'keypoints', points: [4, 1, 2, 2, 0.5, 1], names: ['right_hand', 'head'] }) },
  { image: imgB, object: obj(105, null, { type: 'caption', text: 'a dog "inside"' }) },
  { image: imgB, object: obj(106, 'dog', { type: 'tag' }) },
  { image: imgB, object: obj(107, null, { type: 'polygon', points: [0, 0, 1, 0, 1, 1] }) },
  { image: imgB, object: obj(108, 'car', { type: 'polygon', points: [1, 1, 5, 1, 5, 4, 1, 4] }, { iscrowd: false, difficult: 0 }) },
  { image: imgA, object: obj(109, null, { type: 'caption', text: 'ä street' }, {}, 0.5) },
  { image: imgB, object: obj(110, 'car', { type: 'keypoints', points: [1, 1, 2] }) },
];
const refs = (list: typeof goldenProject): CocoObjectRef[] => list.map((r) => ({ ...r, categoryId: categoryIdOf(r.object.class) }));

function knownOf(categories: object[], images: FormatImage[]): CocoKnown {
  const k: CocoKnown = { categories: new Map(), images: new Map() };
  categories.forEach((c, i) => {
    const cat = parseCocoCategory(c, `categories[${i}]`, 'x');
    k.categories.set(cat.id, cat);
  });
  for (const im of images) k.images.set(im.id, im);
  return k;
}

describe('COCO export: golden files (hand-written, see testdata/coco/README.md)', () => {
  const categories = cocoCategories(classes);

  it('categories in class order with stable ids, keypoint names and a 1-based skeleton', () => {
    expect(categories).toEqual([
      { id: 1, name: 'person', supercategory: '', keypoints: ['head', 'left_hand', 'right_hand'], skeleton: [[1, 2], [1, 3]] },
      { id: 3, name: 'car', supercategory: '' },
      { id: 2, name: 'dog', supercategory: '' },
    ]);
    expect(cocoImage(imgA)).toEqual({ id: 10, file_name: 'street/a.jpg', width: 4, height: 3 });
  });

  it('instances.json, byte for byte, with what it leaves out counted', () => {
    const tally = new ExportTally();
    const text = join(cocoInstancesChunks(info, categories, [imgA, imgB], refs(goldenProject), tally));
    expect(text).toBe(golden('instances.json'));
    expect(Object.fromEntries(tally.notExported)).toEqual({
      'captions go to captions.json': 2,
      'COCO instances hold no image tags': 1,
      'shapes without a class': 1,
      'keypoints of a class without a keypoint template': 1,
    });
  });

  it('captions.json', () => {
    const text = join(cocoCaptionsChunks(info, [imgA, imgB], [goldenProject[5], goldenProject[9], goldenProject[0]], new ExportTally()));
    expect(text).toBe(golden('captions.json'));
  });

  it('results.json and caption-results.json for a run', () => {
    const run = [
      { image: imgA, object: obj(200, 'car', { type: 'box', x: 1, y: 1, w: 2, h: 1 }, { note: 'x' }, 0.9) },
      { image: imgA, object: obj(201, 'dog', { type: 'mask', width: 4, height: 3, counts: [1, 2, 9] }, {}, 0.5) },
      { image: imgB, object: obj(202, 'person', { type: 'keypoints', points: [2, 0.5, 2, 3, 1, 1, 0, 0, 0] }, {}, 0.25) },
      { image: imgB, object: obj(203, 'dog', { type: 'polygon', points: [0, 0, 2, 0, 2, 2] }) },
      { image: imgB, object: obj(204, null, { type: 'caption', text: 'a dog' }, {}, 0.5) },
      { image: imgA, object: obj(205, null, { type: 'caption', text: 'a street' }) },
    ];
    const tally = new ExportTally();
    expect(join(cocoResultsChunks(refs(run), tally, categories))).toBe(golden('results.json'));
    expect(Object.fromEntries(tally.changed)).toEqual({
      'attributes dropped: COCO results hold none': 1,
      'results without a score written with score 1': 1,
    });
    expect(join(cocoCaptionResultsChunks(run, new ExportTally()))).toBe(golden('caption-results.json'));
  });

  it('every golden file reads back as what the writer meant to hold', () => {
    const tmpl = (o: FormatObject) => classes.find((c) => c.name === o.class)?.keypoints?.names ?? null;
    // instances
    const inst = parseCocoFile(golden('instances.json'), 'instances.json');
    expect(inst.kind).toBe('instances');
    expect(inst.info).toEqual(info);
    expect(inst.categories.map((c) => [c.id, c.name, c.keypoints, c.skeleton])).toEqual([
      [1, 'person', ['head', 'left_hand', 'right_hand'], [[0, 1], [0, 2]]],
      [3, 'car', null, []],
      [2, 'dog', null, []],
    ]);
    const wanted = (list: typeof goldenProject, hold: (o: FormatObject) => ReturnType<typeof holdCocoInstance>) =>
      list.flatMap(({ object }) => {
        const h = hold(object);
        return typeof h === 'string' ? [] : h;
      });
    const byImage = (images: typeof inst.images) => images.flatMap((i) => strip(i.objects));
    const order = (list: typeof goldenProject) => [...list.filter((r) => r.image === imgA), ...list.filter((r) => r.image === imgB)];
    expect(inst.images.map((i) => [i.id, i.file, i.width, i.height])).toEqual([
      [10, 'street/a.jpg', 4, 3],
      [11, 'b.png', 6, 5],
    ]);
    expect(byImage(inst.images)).toEqual(wanted(order(goldenProject), (o) => holdCocoInstance(o, tmpl(o))));
    // the reordered keypoints, spelled out
    expect(inst.images[1].objects[0].geometry).toEqual({ type: 'keypoints', points: [2, 0.5, 1, 0, 0, 0, 4, 1, 2], names: ['head', 'left_hand', 'right_hand'] });
    expect(inst.images[0].objects[3].attributes).toEqual({ iscrowd: true });
    // captions
    const caps = parseCocoFile(golden('captions.json'), 'captions.json');
    expect(caps.kind).toBe('captions');
    expect(byImage(caps.images)).toEqual(wanted([goldenProject[9], goldenProject[5]], holdCocoCaption));
    // results
    const known = knownOf(cocoCategories(classes), [imgA, imgB]);
    const res = parseCocoFile(golden('results.json'), 'results.json', known);
    expect(res.kind).toBe('results');
    expect(res.images.map((i) => i.id)).toEqual([10, 11]);
    expect(byImage(res.images).map((o) => [o.class, o.geometry.type, o.score, o.attributes])).toEqual([
      ['car', 'box', 0.9, {}],
      ['dog', 'mask', 0.5, {}],
      ['person', 'keypoints', 0.25, {}],
      ['dog', 'polygon', 1, {}],
    ]);
    const cr = parseCocoFile(golden('caption-results.json'), 'caption-results.json', known);
    expect(cr.kind).toBe('caption-results');
    expect(byImage(cr.images).map((o) => [o.geometry, o.score])).toEqual([
      [{ type: 'caption', text: 'a dog' }, 0.5],
      [{ type: 'caption', text: 'a street' }, null],
    ]);
  });

  it('cocoAnnotation: area by kind (shoelace, pixel count, w·h, keypoint extent), crowd RLE uncompressed', () => {
    const one = (o: FormatObject, names: string[] | null = null) => cocoAnnotation(o, holdCocoInstance(o, names), imgA, o.id, 7);
    expect(one(obj(1, 'c', { type: 'polygon', points: [0, 0, 4, 0, 4, 4, 2, 2, 0, 4] }))).toMatchObject({ area: 12, bbox: [0, 0, 4, 4] });
    expect(one(obj(2, 'c', { type: 'box', x: 1, y: 2, w: 0.5, h: 3 }))).toMatchObject({ area: 1.5, segmentation: [] });
    expect(one(obj(3, 'c', { type: 'mask', width: 4, height: 3, counts: [0, 12] }), null)).toMatchObject({ area: 12, bbox: [0, 0, 4, 3], segmentation: { size: [3, 4], counts: rleToString([0, 12]) } });
    expect(one(obj(4, 'c', { type: 'mask', width: 4, height: 3, counts: [0, 12] }, { iscrowd: true }))).toMatchObject({ iscrowd: 1, segmentation: { size: [3, 4], counts: [0, 12] } });
    expect(one(obj(5, 'c', { type: 'keypoints', points: [1, 1, 2, 9, 9, 0, 3, 4, 1] }), ['a', 'b', 'c'])).toMatchObject({
      area: 6,
      bbox: [1, 1, 2, 3],
      keypoints: [1, 1, 2, 0, 0, 0, 3, 4, 1],
      num_keypoints: 2,
    });
    expect(one(obj(6, 'c', { type: 'box', x: 0, y: 0, w: 1, h: 1 }, {}, 0.125))).toMatchObject({ score: 0.125 });
    expect(one(obj(7, 'c', { type: 'box', x: 0, y: 0, w: 1, h: 1 }))).not.toHaveProperty('score');
    expect(one(obj(8, 'c', { type: 'box', x: 0, y: 0, w: 1, h: 1 }, { iscrowd: 0 }))).not.toHaveProperty('attributes');
  });

  it('hold: what the instances file keeps, and why it leaves the rest', () => {
    expect(holdCocoInstance(obj(1, null, { type: 'box', x: 0, y: 0, w: 1, h: 1 }))).toBe('shapes without a class');
    expect(holdCocoInstance(obj(1, 'a', { type: 'caption', text: 't' }))).toBe('captions go to captions.json');
    expect(holdCocoInstance(obj(1, 'a', { type: 'tag' }))).toBe('COCO instances hold no image tags');
    expect(holdCocoInstance(obj(1, 'a', { type: 'keypoints', points: [1, 1, 2] }))).toBe('keypoints of a class without a keypoint template');
    expect(holdCocoInstance(obj(1, 'a', { type: 'keypoints', points: [1, 1, 2] }), ['x', 'y'])).toMatch(/do not match/);
    expect(holdCocoInstance(obj(1, 'a', { type: 'keypoints', points: [1, 1, 2], names: ['z'] }), ['x', 'y'])).toMatch(/do not match/);
    expect(holdCocoResult(obj(1, 'a', { type: 'box', x: 0, y: 0, w: 1, h: 1 }, { a: 1 }))).toEqual([
      { class: 'a', kind: 'box', geometry: { type: 'box', x: 0, y: 0, w: 1, h: 1 }, attributes: {}, score: 1 },
    ]);
  });

  it('a mask of another size than its image is left out, not written wrong', () => {
    const tally = new ExportTally();
    const o = obj(1, 'car', { type: 'mask', width: 2, height: 2, counts: [4] });
    const text = join(cocoInstancesChunks(info, cocoCategories(classes), [imgA], [{ image: imgA, object: o, categoryId: 3 }], tally));
    expect(JSON.parse(text).annotations).toEqual([]);
    expect(tally.lines()).toEqual(['not exported: 1 × masks whose size differs from their image']);
  });
});

// ---------------------------------------------------------------- round trips

/** Random floats that do not print short, so any rounding on the way would show. */
function randomProject(seed: number) {
  const rand = mulberry32(seed);
  const f = (n: number) => rand() * n;
  const images: FormatImage[] = Array.from({ length: 4 }, (_, i) => ({ id: 1000 + i * 7, file: `d/${i}.jpg`, width: 20 + Math.floor(f(30)), height: 15 + Math.floor(f(30)) }));
  const objects: { image: FormatImage; object: FormatObject }[] = [];
  let id = 1;
  const attrs = (): FormatObject['attributes'] => {
    const a: FormatObject['attributes'] = {};
    if (rand() < 0.3) a.iscrowd = true;
    if (rand() < 0.3) a.note = 'n"' + Math.floor(f(9));
    if (rand() < 0.2) a.occluded = rand() < 0.5;
    if (rand() < 0.2) a.level = f(3);
    if (rand() < 0.1) a.empty = null;
    return a;
  };
  for (const image of images) {
    const n = Math.floor(f(8));
    for (let k = 0; k < n; k++) {
      const kind = Math.floor(f(5));
      let g: Geometry;
      if (kind === 0) g = { type: 'box', x: f(image.width) - 2, y: f(image.height), w: f(10), h: rand() < 0.1 ? 0 : f(10) };
      else if (kind === 1) g = { type: 'polygon', points: Array.from({ length: 2 * (3 + Math.floor(f(5))) }, (_, i) => (i % 2 ? f(image.height) : f(image.width))) };
      else if (kind === 2) {
        const m = Uint8Array.from({ length: image.width * image.height }, () => (rand() < 0.3 ? 1 : 0));
        const rle = encodeRle(m, image.width, image.height);
        g = { type: 'mask', width: rle.width, height: rle.height, counts: rle.counts };
      } else if (kind === 3) {
        const points: number[] = [];
        for (let p = 0; p < 4; p++) {
          const v = Math.floor(f(3));
          points.push(v ? f(image.width) : 0, v ? f(image.height) : 0, v);
        }
        g = { type: 'keypoints', points, names: ['a', 'b', 'c', 'd'] };
      } else g = { type: 'caption', text: `caption ${id} "é" \\ 😀` };
      const cls = g.type === 'keypoints' ? 'pose' : g.type === 'caption' ? null : ['car', 'dog'][Math.floor(f(2))];
      objects.push({ image, object: obj(id++, cls, g, g.type === 'caption' ? {} : attrs(), rand() < 0.4 ? f(1) : null) });
    }
  }
  const projectClasses: FormatClass[] = [
    { name: 'dog', index: 0, categoryId: 5, keypoints: null },
    { name: 'car', index: 1, categoryId: 2, keypoints: null },
    { name: 'pose', index: 2, categoryId: 9, keypoints: { names: ['a', 'b', 'c', 'd'], edges: [[0, 1], [2, 3]] } },
  ];
  return { images, objects, classes: projectClasses };
}

describe('COCO round trips: export then import gives back what was held, exactly', () => {
  it('random projects with every kind, through random chunkings of the streamed text', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const p = randomProject(seed);
      const cats = cocoCategories(p.classes);
      const catId = (name: string | null) => p.classes.find((c) => c.name === name)?.categoryId ?? 0;
      const tmpl = (o: FormatObject) => p.classes.find((c) => c.name === o.class)?.keypoints?.names ?? null;
      const refsP = p.objects.map((r) => ({ ...r, categoryId: catId(r.object.class) }));
      const byImage = (list: typeof p.objects) => p.images.flatMap((im) => list.filter((r) => r.image === im));
      const heldAll = (hold: (o: FormatObject) => ReturnType<typeof holdCocoInstance>) =>
        byImage(p.objects).flatMap(({ object }) => {
          const h = hold(object);
          return typeof h === 'string' ? [] : h;
        });

      const text = join(cocoInstancesChunks({ seed }, cats, p.images, refsP, new ExportTally()));
      const back = parseStreamed(text, 'instances.json', seed);
      expect(back).toEqual(heldAll((o) => holdCocoInstance(o, tmpl(o))));
      // and parseCocoFile agrees with the streaming reader
      expect(parseCocoFile(text, 'instances.json').images.flatMap((i) => strip(i.objects))).toEqual(back);

      const caps = parseCocoFile(join(cocoCaptionsChunks({}, p.images, p.objects, new ExportTally())), 'captions.json');
      expect(caps.images.flatMap((i) => strip(i.objects))).toEqual(heldAll(holdCocoCaption));

      const known = knownOf(cats, p.images);
      const res = parseCocoFile(join(cocoResultsChunks(refsP, new ExportTally(), cats)), 'results.json', known);
      const resById = new Map(res.images.map((i) => [i.id, strip(i.objects)]));
      expect(p.images.flatMap((im) => resById.get(im.id) ?? [])).toEqual(heldAll((o) => (o.geometry.type === 'caption' ? 'caption' : holdCocoResult(o, tmpl(o)))));
    }
  });
});

/** The way the core reads a big file: JsonSplitter in small pieces, one record parser call per element. */
function parseStreamed(text: string, file: string, seed: number): Omit<ParsedObject, 'where'>[] {
  const ctx: CocoContext = { file, categories: new Map(), images: new Map(), seenIds: new Set() };
  const out: Omit<ParsedObject, 'where'>[] = [];
  const s = new JsonSplitter({
    file,
    onElement(key, index, t, line) {
      const raw = JSON.parse(t);
      if (key === 'categories') {
        const c = parseCocoCategory(raw, `categories[${index}]`, file, line);
        ctx.categories.set(c.id, c);
      } else if (key === 'images') {
        const im = parseCocoImage(raw, `images[${index}]`, file, line);
        (ctx.images as Map<number, typeof im>).set(im.id, im);
      } else if (key === 'annotations') out.push(...strip(parseCocoAnnotation(raw, `annotations[${index}]`, ctx, line).objects));
    },
  });
  const rand = mulberry32(seed);
  for (let i = 0; i < text.length; ) {
    const n = 1 + Math.floor(rand() * 300);
    s.push(text.slice(i, i + n));
    i += n;
  }
  s.end();
  return out;
}

// ---------------------------------------------------------------- the pycocotools reference files

describe('COCO import of the pycocotools reference files', () => {
  interface Gt {
    images: { id: number; width: number; height: number }[];
    annotations: { id: number; image_id: number; segmentation?: unknown; area: number; bbox: number[]; iscrowd: number; keypoints?: number[] }[];
    categories: unknown[];
  }
  const segmGt = loadRef<Gt>('coco-segm-a/gt.json');
  const segmText = segmGt ? readFileSync(path.join(REF, 'coco-segm-a/gt.json'), 'utf8') : '';

  it.skipIf(!segmGt)('coco-segm-a gt.json: masks come out with pycocotools area and toBbox; polygons stay polygons', () => {
    const parsed = parseCocoFile(segmText, 'gt.json');
    expect(parsed.kind).toBe('instances');
    const objects = parsed.images.flatMap((i) => i.objects);
    expect(objects).toHaveLength(segmGt!.annotations.length);
    let masks = 0;
    for (const a of segmGt!.annotations) {
      const o = objects.find((x) => x.where.startsWith(`annotations[${segmGt!.annotations.indexOf(a)}] (id ${a.id})`))!;
      const rings = Array.isArray(a.segmentation) ? a.segmentation.length : 0;
      expect(o.attributes.iscrowd === true).toBe(a.iscrowd === 1);
      if (rings === 1) {
        expect(o.geometry).toEqual({ type: 'polygon', points: (a.segmentation as number[][])[0] });
        continue;
      }
      // Multi-part polygons and RLEs are masks: their area and box are pycocotools' figures in the file.
      expect(o.geometry.type).toBe('mask');
      const g = o.geometry as Extract<Geometry, { type: 'mask' }>;
      expect([a.id, rleArea(g), rleBbox(g)]).toEqual([a.id, a.area, a.bbox]);
      masks++;
    }
    expect(masks).toBeGreaterThanOrEqual(12);
  });

  it.skipIf(!segmGt)('coco-segm-a mask_checks.json: decoded counts, and the exported string, area and bbox', () => {
    interface Check { label: string; input_segmentation: unknown; size: [number, number]; rle_uncompressed_counts: number[]; rle_compressed_counts: string; area: number; toBbox: number[] }
    const checks = loadRef<{ masks: Check[] }>('coco-segm-a/mask_checks.json');
    if (!checks) return;
    for (const m of checks.masks) {
      const [h, w] = m.size;
      const image: FormatImage = { id: 1, file: 'x.png', width: w, height: h };
      const ctx: CocoContext = { file: 'mask_checks.json', categories: new Map([[1, { name: 'c', keypoints: null }]]), images: new Map([[1, image]]), seenIds: new Set() };
      const rec = parseCocoAnnotation({ id: 1, image_id: 1, category_id: 1, segmentation: m.input_segmentation, bbox: m.toBbox }, m.label, ctx);
      const geometry = rec.objects[0].geometry;
      const poly = Array.isArray(m.input_segmentation) && m.input_segmentation.length === 1;
      // A one-ring polygon stays a polygon; pycocotools' raster of it is what its mask would be.
      const mask = poly ? rleFromPolygons(m.input_segmentation as number[][], h, w) : (geometry as Extract<Geometry, { type: 'mask' }>);
      expect(mask.counts).toEqual(m.rle_uncompressed_counts);
      const asMask = obj(1, 'c', { type: 'mask', width: w, height: h, counts: mask.counts });
      const ann = cocoAnnotation(asMask, holdCocoInstance(asMask), image, 1, 1);
      expect(ann).toMatchObject({ segmentation: { size: [h, w], counts: m.rle_compressed_counts }, area: m.area, bbox: m.toBbox });
    }
  });

  it.skipIf(!segmGt)('coco-segm-a: the whole file survives import → export → import', () => {
    const first = parseCocoFile(segmText, 'gt.json');
    const classesR: FormatClass[] = first.categories.map((c, index) => ({ name: c.name, index, categoryId: c.id, keypoints: null }));
    const images = first.images.map(({ id, file, width, height }) => ({ id, file, width: width!, height: height! }));
    let nextId = 1;
    const objs = first.images.flatMap((im, k) =>
      im.objects.map((o) => ({ image: images[k], object: obj(nextId++, o.class, o.geometry, o.attributes, o.score), categoryId: classesR.find((c) => c.name === o.class)!.categoryId })),
    );
    const text = join(cocoInstancesChunks(first.info as object, cocoCategories(classesR), images, objs, new ExportTally()));
    const second = parseCocoFile(text, 'again.json');
    expect(second.images.map((i) => strip(i.objects))).toEqual(first.images.map((i) => strip(i.objects)));
  });

  it('coco-bbox-a, coco-keypoints-a: gt as boxes and keypoints (+ the person box), dt as results', () => {
    const bboxGt = loadRef<Gt>('coco-bbox-a/gt.json');
    const kpGt = loadRef<Gt>('coco-keypoints-a/gt.json');
    if (!bboxGt || !kpGt) return;
    const b = parseCocoFile(readFileSync(path.join(REF, 'coco-bbox-a/gt.json'), 'utf8'), 'gt.json');
    const boxes = b.images.flatMap((i) => i.objects);
    expect(boxes.map((o) => o.geometry)).toEqual(
      b.images.flatMap((im) => bboxGt.annotations.filter((a) => a.image_id === im.id)).map((a) => ({ type: 'box', x: a.bbox[0], y: a.bbox[1], w: a.bbox[2], h: a.bbox[3] })),
    );
    const bKnown = knownOf(bboxGt.categories as object[], b.images.map((i) => ({ id: i.id, file: i.file, width: i.width!, height: i.height! })));
    const bDt = parseCocoFile(readFileSync(path.join(REF, 'coco-bbox-a/dt.json'), 'utf8'), 'dt.json', bKnown);
    expect(bDt.records).toBe(447);
    expect(bDt.images.flatMap((i) => i.objects).every((o) => o.geometry.type === 'box' && o.score !== null)).toBe(true);

    const k = parseCocoFile(readFileSync(path.join(REF, 'coco-keypoints-a/gt.json'), 'utf8'), 'gt.json');
    expect(k.categories[0].keypoints).toHaveLength(17);
    expect(k.categories[0].skeleton[0]).toEqual([15, 13]); // COCO's [16, 14], 0-based
    const kObjects = k.images.flatMap((i) => i.objects);
    expect(kObjects.filter((o) => o.geometry.type === 'keypoints')).toHaveLength(kpGt.annotations.length);
    // Each person's box is not the extent of its keypoints, so it is kept as a box beside them.
    expect(kObjects.filter((o) => o.geometry.type === 'box')).toHaveLength(kpGt.annotations.length);
    const kKnown = knownOf(kpGt.categories as object[], k.images.map((i) => ({ id: i.id, file: i.file, width: i.width!, height: i.height! })));
    const kDt = parseCocoFile(readFileSync(path.join(REF, 'coco-keypoints-a/dt.json'), 'utf8'), 'dt.json', kKnown);
    expect(kDt.images.flatMap((i) => i.objects).every((o) => o.geometry.type === 'keypoints' && (o.geometry.names?.length ?? 0) === 17)).toBe(true);
  });
});

describe('COCO import: the parts of one annotation are linked by group_id', () => {
  const file = (annotations: Record<string, unknown>[]) =>
    JSON.stringify({
      categories: [{ id: 1, name: 'person', keypoints: ['a', 'b'], skeleton: [[1, 2]] }],
      images: [{ id: 7, file_name: 'x.jpg', width: 100, height: 80 }],
      annotations,
    });
  const kp = { image_id: 7, category_id: 1, iscrowd: 0, keypoints: [10, 10, 2, 20, 30, 1], num_keypoints: 2 };

  it('keypoints and a person box that is not their extent: two objects with the annotation id as group_id', () => {
    const parsed = parseCocoFile(file([{ id: 41, ...kp, bbox: [5, 5, 30, 40], area: 900 }]), 'kp.json');
    const objs = parsed.images[0].objects;
    expect(objs.map((o) => [o.geometry.type, o.attributes.group_id])).toEqual([
      ['keypoints', 41],
      ['box', 41],
    ]);
    // Each object has its own attributes (editing one must not change the other).
    expect(objs[0].attributes).not.toBe(objs[1].attributes);
  });

  it("the file's own group_id wins; a single object gets none; no points labeled still links the box", () => {
    const own = parseCocoFile(file([{ id: 41, ...kp, bbox: [5, 5, 30, 40], attributes: { group_id: 3 } }]), 'own.json').images[0].objects;
    expect(own.map((o) => o.attributes.group_id)).toEqual([3, 3]);
    const extent = parseCocoFile(file([{ id: 42, ...kp, bbox: [10, 10, 10, 20] }]), 'extent.json').images[0].objects;
    expect(extent.map((o) => [o.geometry.type, o.attributes.group_id])).toEqual([['keypoints', undefined]]);
    const none = parseCocoFile(file([{ id: 43, ...kp, keypoints: [0, 0, 0, 0, 0, 0], num_keypoints: 0, bbox: [5, 5, 30, 40] }]), 'none.json').images[0].objects;
    expect(none.map((o) => [o.geometry.type, o.attributes.group_id])).toEqual([
      ['keypoints', 43],
      ['box', 43],
    ]);
  });

  it('results are not linked (pycocotools takes a keypoint result’s box from its points)', () => {
    const gt = parseCocoFile(file([]), 'gt.json');
    const known = knownOf([{ id: 1, name: 'person', keypoints: ['a', 'b'] }], gt.images.map((i) => ({ id: i.id, file: i.file, width: i.width!, height: i.height! })));
    const dt = parseCocoFile(JSON.stringify([{ image_id: 7, category_id: 1, keypoints: [10, 10, 1, 20, 30, 1], bbox: [5, 5, 30, 40], score: 0.9 }]), 'dt.json', known);
    expect(dt.images[0].objects.map((o) => o.attributes.group_id)).toEqual([undefined, undefined]);
  });
});

// ---------------------------------------------------------------- bad input

describe('COCO import: bad input names the file and the record', () => {
  const base = () => ({
    info: {},
    categories: [
      { id: 1, name: 'person', keypoints: ['a', 'b'], skeleton: [[1, 2]] },
      { id: 2, name: 'car' },
    ],
    images: [{ id: 7, file_name: 'x.jpg', width: 4, height: 3 }],
    annotations: [] as Record<string, unknown>[],
  });
  const ann = (extra: Record<string, unknown>) => ({ id: 40, image_id: 7, category_id: 2, bbox: [0, 0, 1, 1], iscrowd: 0, ...extra });
  /** A file whose annotation 1 is `bad`, written one record per line (annotation 1 is on line 9). */
  const file = (bad: Record<string, unknown>) => {
    const d = base();
    const lines = [
      '{"info": {},',
      '"categories": [' + d.categories.map((c) => JSON.stringify(c)).join(',\n'),
      '],',
      '"images": [' + JSON.stringify(d.images[0]),
      '],',
      '"annotations": [',
      JSON.stringify(ann({ id: 39 })) + ',',
      JSON.stringify(bad),
      ']}',
    ];
    return lines.join('\n');
  };
  function refusal(text: string, known?: CocoKnown): FormatError {
    try {
      parseCocoFile(text, 'bad.json', known);
    } catch (e) {
      expect(e).toBeInstanceOf(FormatError);
      return e as FormatError;
    }
    throw new Error('expected a FormatError');
  }

  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['image_id not among the images', ann({ image_id: 8 }), /image_id 8 is not among the 1 images/],
    ['image_id missing', ann({ image_id: undefined }), /image_id must be an integer/],
    ['category_id unknown', ann({ category_id: 9 }), /category_id 9 is not among the categories \(1, 2\)/],
    ['bbox of 3 numbers', ann({ bbox: [0, 0, 1] }), /bbox must be \[x, y, width, height\]/],
    ['bbox with a negative width', ann({ bbox: [0, 0, -1, 1] }), /negative width or height/],
    ['bbox with NaN written as null', ann({ bbox: [0, null, 1, 1] }), /null, which is not a finite number/],
    ['bbox with a string', ann({ bbox: [0, '1', 1, 1] }), /not a finite number/],
    ['bbox overflowing', ann({ bbox: [1e12, 0, 1, 1] }), /beyond ±1000000000/],
    ['polygon with an odd number of coordinates', ann({ segmentation: [[0, 0, 1, 0, 1]] }), /odd number of coordinates \(5\)/],
    ['polygon of 2 points', ann({ segmentation: [[0, 0, 1, 0]] }), /2 points; a polygon needs at least 3/],
    ['polygon with a non-number', ann({ segmentation: [[0, 0, 1, 0, 1, 'x']] }), /not a finite number/],
    ['segmentation of the wrong type', ann({ segmentation: 5 }), /segmentation must be a list of polygons or an RLE/],
    ['RLE counts not summing to h·w', ann({ segmentation: { size: [3, 4], counts: [1, 2, 3] } }), /add up to 6 pixels, not height × width = 3 × 4 = 12/],
    ['RLE string not summing to h·w', ann({ segmentation: { size: [3, 4], counts: '12' } }), /add up to 3 pixels/],
    ['RLE string with bad characters', ann({ segmentation: { size: [3, 4], counts: '1 2' } }), /only characters 0 to o are valid/],
    ['RLE size differing from the image', ann({ segmentation: { size: [4, 3], counts: [12] } }), /size \[4, 3\] differs from the image's \[height, width\] \[3, 4\]/],
    ['RLE counts negative', ann({ segmentation: { size: [3, 4], counts: [13, -1] } }), /non-negative integers/],
    ['duplicate annotation id', ann({ id: 39 }), /duplicate annotation id 39/],
    ['keypoints not in triples', ann({ category_id: 1, keypoints: [1, 1, 2, 1] }), /4 numbers, not x, y, v triples/],
    ['keypoints not matching the names', ann({ category_id: 1, keypoints: [1, 1, 2] }), /1 points, but category "person" names 2/],
    ['keypoints for a category without names', ann({ keypoints: [1, 1, 2] }), /category "car" names no keypoints/],
    ['keypoints with a bad visibility', ann({ category_id: 1, keypoints: [1, 1, 2, 1, 1, 5] }), /visibility 5/],
    ['iscrowd not 0 or 1', ann({ iscrowd: 2 }), /iscrowd must be 0 or 1/],
    ['attributes with a nested value', ann({ attributes: { a: [1] } }), /attribute "a" must be a string, number, boolean or null/],
    ['score not a number', ann({ score: 'high' }), /score must be a finite number/],
    ['nothing to make a shape of', ann({ bbox: undefined }), /has no bbox, segmentation or keypoints/],
    ['annotation id not an integer', ann({ id: 'x' }), /id must be an integer/],
  ];
  for (const [name, bad, problem] of cases) {
    it(name, () => {
      const e = refusal(file(bad));
      expect(e.file).toBe('bad.json');
      expect(e.where).toBe(`annotations[1]${typeof bad.id === 'number' || typeof bad.id === 'string' ? ` (id ${bad.id})` : ''}, line 9`);
      expect(e.problem).toMatch(problem);
    });
  }

  it('an overflow to Infinity (1e999) is refused like NaN', () => {
    const e = refusal(file(ann({})).replace('"bbox":[0,0,1,1],"iscrowd":0}\n', '"bbox":[0,0,1e999,1],"iscrowd":0}\n'));
    expect(e.where).toBe('annotations[1] (id 40), line 9');
    expect(e.problem).toMatch(/Infinity, which is not a finite number/);
  });

  it('malformed JSON inside a record names the record and its line; broken structure names the line', () => {
    const text = file(ann({})).replace('"iscrowd":0}\n]}', '"iscrowd":}\n]}');
    const e = refusal(text);
    expect([e.where, e.problem]).toEqual(['annotations[1], line 9', expect.stringMatching(/^malformed JSON/)]);
    const e2 = refusal(file(ann({})).replace('\n]}', '\n}}'));
    expect(e2.where).toBe('line 10');
    expect(e2.problem).toMatch(/expected "," or "\]" after element 1 in "annotations", found "\}"/);
    expect(refusal('{"images": [').problem).toMatch(/truncated/);
    expect(refusal('"text"').problem).toMatch(/top level must be a JSON object or array/);
  });

  it('images and categories: duplicates, missing names, bad sizes, bad skeletons', () => {
    const withImages = (images: unknown[]) => JSON.stringify({ ...base(), images }, null, 1);
    expect(refusal(withImages([{ id: 7, file_name: 'a', width: 4, height: 3 }, { id: 7, file_name: 'b', width: 4, height: 3 }])).problem).toBe('duplicate image id 7');
    const e = refusal(withImages([{ id: 7, width: 4, height: 3 }]));
    expect(e.where).toMatch(/^images\[0\] \(id 7\), line \d+$/);
    expect(e.problem).toMatch(/file_name must be a non-empty string/);
    expect(refusal(withImages([{ id: 7, file_name: 'a', width: 0, height: 3 }])).problem).toMatch(/width must be at least 1/);
    expect(parseCocoImage({ id: 1, file_name: 'a\\b.jpg' }, 'images[0]', 'f')).toEqual({ id: 1, file: 'a/b.jpg', width: null, height: null });
    const withCats = (categories: unknown[]) => JSON.stringify({ ...base(), categories });
    expect(refusal(withCats([{ id: 1, name: 'a' }, { id: 1, name: 'b' }])).problem).toBe('duplicate category id 1');
    expect(refusal(withCats([{ id: 1, name: '' }])).problem).toMatch(/name must be a non-empty string/);
    expect(refusal(withCats([{ id: 1, name: 'a', keypoints: ['x', 'y'], skeleton: [[1, 3]] }])).problem).toMatch(/skeleton edge \[1,3\] must join two different points numbered 1 to 2/);
    expect(refusal(withCats([{ id: 1, name: 'a', keypoints: ['x', 'x'] }])).problem).toMatch(/names a point twice/);
  });

  it('lenient where nothing is lost: `[[]]` and `bbox: []` mean none, null width/height mean unknown', () => {
    const ctx: CocoContext = { file: 'f.json', categories: new Map([[2, { name: 'car', keypoints: null }]]), images: new Map([[7, { width: 4, height: 3 }]]), seenIds: new Set() };
    expect(parseCocoAnnotation(ann({ segmentation: [[]] }), 'annotations[0]', ctx).objects.map((o) => o.geometry)).toEqual([{ type: 'box', x: 0, y: 0, w: 1, h: 1 }]);
    expect(parseCocoAnnotation(ann({ id: 41, bbox: [], segmentation: [[0, 0, 2, 0, 2, 2]] }), 'annotations[1]', ctx).objects.map((o) => o.geometry.type)).toEqual(['polygon']);
    expect(parseCocoImage({ id: 1, file_name: 'a.jpg', width: null, height: null }, 'images[0]', 'f')).toMatchObject({ width: null, height: null });
  });

  it('a multi-part polygon needs its image size; a record that is not an object is named', () => {
    const ctx: CocoContext = { file: 'f.json', categories: new Map([[2, { name: 'car', keypoints: null }]]), images: new Map([[7, { width: null, height: null }]]), seenIds: new Set() };
    const poly = [0, 0, 2, 0, 2, 2];
    expect(() => parseCocoAnnotation(ann({ segmentation: [poly, poly] }), 'annotations[0]', ctx)).toThrow(/needs the image’s width and height/);
    expect(() => parseCocoAnnotation([1], 'annotations[3]', ctx, 9)).toThrow(/f\.json \(annotations\[3\], line 9\): an annotation must be a JSON object/);
  });

  it('results: a score is required, and the file needs the categories and images it refers to', () => {
    const known = knownOf(base().categories, [{ id: 7, file: 'x.jpg', width: 4, height: 3 }]);
    const e = refusal('[\n{"image_id": 7, "category_id": 2, "bbox": [0, 0, 1, 1]}\n]', known);
    expect([e.where, e.problem]).toEqual(['[0], line 2', 'a result needs a numeric score']);
    expect(refusal('[{"image_id": 8, "category_id": 2, "bbox": [0, 0, 1, 1], "score": 1}]', known).problem).toMatch(/image_id 8 is not among/);
    expect(refusal('[]').problem).toMatch(/import the dataset’s instances file first/);
    const ctx: CocoContext = { file: 'r.json', ...known, seenIds: new Set() };
    // Results carry a confidence in place of v: anything positive reads as visible.
    const r = parseCocoResult({ image_id: 7, category_id: 1, keypoints: [1, 1, 0.7, 2, 2, 0], score: 0.5 }, '[0]', ctx);
    expect(r.objects[0].geometry).toEqual({ type: 'keypoints', points: [1, 1, 2, 2, 2, 0], names: ['a', 'b'] });
    expect(() => parseCocoCaption({ image_id: 7, caption: 3 }, '[0]', ctx)).toThrow(/caption must be a string/);
  });
});
