import { formatObject, refusal } from '../../test/formats-testkit.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { encodeRle } from '../geometry/rle.js';
import { compareObjects } from './compare.js';
import {
  boxFromVoc,
  holdVoc,
  mergeVocSegmentation,
  parseVocImageSet,
  parseVocLabelmap,
  parseVocXml,
  vocAnnotationXml,
  vocFlag,
  vocImageSets,
  vocLabelmap,
  vocObjects,
  vocSegmented,
  VOC_CLASSES,
} from './voc.js';
import { vocPalette } from './masks.js';
import { ExportTally, FormatError, type FormatObject, type FormatRecord, type ParsedObject } from './types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const golden = (f: string) => readFileSync(path.join(here, 'testdata', 'voc', f), 'utf8');


const obj = (cls: string | null, geometry: FormatObject['geometry'], attributes: FormatObject['attributes'] = {}, score: number | null = null): FormatObject =>
  formatObject(cls, geometry, { attributes, score });

function rectMask(width: number, height: number, x0: number, y0: number, x1: number, y1: number) {
  const m = new Uint8Array(width * height);
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) m[y * width + x] = 1;
  return { type: 'mask' as const, ...encodeRle(m, width, height) };
}

/** The record golden.xml was worked out from by hand (the comments give each box's arithmetic). */
function goldenRecord(): FormatRecord {
  return {
    image: { id: 7, file: 'street/0001.jpg', width: 64, height: 48 },
    objects: [
      // xmin round(10.4)+1 = 11, ymin round(5.6)+1 = 7, xmax round(30.6) = 31, ymax round(15.6) = 16
      obj('car', { type: 'box', x: 10.4, y: 5.6, w: 20.2, h: 10 }, { difficult: true, truncated: 1, occluded: 'false', color: 'red' }, 0.9),
      // polygon extent x 2…12, y 3…20 → 3 4 12 20
      obj('person', { type: 'polygon', points: [2, 3, 12, 3, 12, 20, 2, 20] }, { occluded: 'yes' }),
      // mask pixels x 40…43, y 30…32 (0-based) → 41 31 44 33
      obj('dog & cat', rectMask(64, 48, 40, 30, 43, 32)),
      obj('car', { type: 'box', x: 70, y: 0, w: 5, h: 5 }), // outside: not exported
      // clipped to x 0…6.8, y 40…48 → 1 41 7 48
      obj('car', { type: 'box', x: -3.2, y: 40, w: 10, h: 20 }),
      // x 20.6…20.8: xmin 22, xmax round(20.8) = 21 < 22 → widened to 22
      obj('car', { type: 'box', x: 20.6, y: 20.6, w: 0.2, h: 0.2 }),
      obj('person', { type: 'keypoints', points: [1, 2, 2, 3, 4, 1] }),
      obj(null, { type: 'caption', text: 'a street' }),
      obj('night', { type: 'tag' }),
      obj(null, { type: 'box', x: 1, y: 1, w: 2, h: 2 }),
    ],
  };
}

describe('vocAnnotationXml', () => {
  it('writes the hand-checked golden file and counts what it left out or changed', () => {
    const tally = new ExportTally();
    const xml = vocAnnotationXml(goldenRecord(), { folder: 'VOC2012', filename: 'street_0001.jpg', depth: 3 }, tally);
    expect(xml).toBe(golden('golden.xml'));
    expect(Object.fromEntries(tally.notExported)).toEqual({
      'shapes entirely outside the image: VOC boxes lie inside it': 1,
      'keypoints: VOC holds boxes and segmentation only': 1,
      'captions: VOC holds no captions': 1,
      'image tags: VOC holds no tags': 1,
      'shapes without a class: a VOC object needs a class name': 1,
    });
    expect(Object.fromEntries(tally.changed)).toEqual({
      'boxes rounded to whole pixels (VOC coordinates are integer pixel indices)': 1,
      'scores dropped: VOC annotations hold none': 1,
      'object attributes other than truncated, difficult, occluded dropped: VOC holds only those': 1,
      'boxes clipped to the image': 1,
      'boxes under a pixel wide or tall widened to one pixel': 1,
    });
  });

  it('reads back (parseVocXml) exactly what holdVoc says it keeps', () => {
    const rec = goldenRecord();
    const parsed = parseVocXml(golden('golden.xml'), 'Annotations/street_0001.xml');
    expect(parsed.file).toBe('street_0001.jpg');
    expect([parsed.width, parsed.height]).toEqual([64, 48]);
    const held = rec.objects.map((o) => holdVoc(o, rec.image));
    const kept = held.flatMap((h) => (typeof h === 'string' ? [] : h));
    expect(compareObjects('golden', kept, parsed.objects, 0, 0)).toEqual([]);
    expect(kept.map((k) => k.geometry)).toEqual([
      { type: 'box', x: 10, y: 6, w: 21, h: 10 },
      { type: 'box', x: 2, y: 3, w: 10, h: 17 },
      { type: 'box', x: 40, y: 30, w: 4, h: 3 },
      { type: 'box', x: 0, y: 40, w: 7, h: 8 },
      { type: 'box', x: 21, y: 21, w: 1, h: 1 },
    ]);
    expect(kept[0].attributes).toEqual({ difficult: true, truncated: true });
    expect(kept[1].attributes).toEqual({ occluded: true });
    expect(kept[2].class).toBe('dog & cat');
    expect(held.filter((h) => typeof h === 'string')).toHaveLength(5);
    expect(parsed.objects[2].where).toBe('object[2], line 36');
  });

  it('keeps an integer box inside the image exactly, and maps the whole image to 1…W', () => {
    const image = { id: 1, file: 'a.jpg', width: 500, height: 375 };
    for (const g of [{ x: 0, y: 0, w: 500, h: 375 }, { x: 47, y: 239, w: 148, h: 132 }, { x: 499, y: 374, w: 1, h: 1 }]) {
      const rec = { image, objects: [obj('dog', { type: 'box', ...g })] };
      const tally = new ExportTally();
      const back = parseVocXml(vocAnnotationXml(rec, { folder: 'f', filename: 'a.jpg', depth: 3 }, tally), 'a.xml');
      expect(back.objects[0].geometry).toEqual({ type: 'box', ...g });
      expect(tally.lines()).toEqual([]);
    }
    const whole = vocObjects({ image, objects: [obj('dog', { type: 'box', x: 0, y: 0, w: 500, h: 375 })] })[0].box;
    expect(whole).toEqual({ xmin: 1, ymin: 1, xmax: 500, ymax: 375 });
  });

  it('reads flags the way people write them', () => {
    expect([true, 1, 2, 'true', 'yes', '1', 'difficult'].map((v) => vocFlag(v))).toEqual(new Array(7).fill(true));
    expect([false, 0, NaN, null, undefined, '', '0', 'false', 'FALSE', 'no', ' 0 '].map((v) => vocFlag(v))).toEqual(new Array(11).fill(false));
  });

  it('segmented is 1 only when a polygon or mask is kept', () => {
    const image = { id: 1, file: 'a.jpg', width: 10, height: 10 };
    expect(vocSegmented({ image, objects: [obj('a', { type: 'box', x: 0, y: 0, w: 2, h: 2 })] })).toBe(false);
    expect(vocSegmented({ image, objects: [obj(null, { type: 'polygon', points: [0, 0, 2, 0, 2, 2] })] })).toBe(false);
    expect(vocSegmented({ image, objects: [obj('a', { type: 'polygon', points: [20, 20, 22, 20, 22, 22] })] })).toBe(false);
    expect(vocSegmented({ image, objects: [obj('a', { type: 'polygon', points: [0, 0, 2, 0, 2, 2] })] })).toBe(true);
  });

  it('the ignore class is not an XML object (its regions go to the PNGs as 255)', () => {
    const image = { id: 1, file: 'a.jpg', width: 10, height: 10 };
    const rec = { image, objects: [obj('void', { type: 'polygon', points: [0, 0, 2, 0, 2, 2] }), obj('void', { type: 'box', x: 0, y: 0, w: 1, h: 1 }), obj('a', { type: 'box', x: 0, y: 0, w: 1, h: 1 })] };
    const tally = new ExportTally();
    const xml = vocAnnotationXml(rec, { folder: 'f', filename: 'a.jpg', depth: 3, ignoreClass: 'void' }, tally);
    expect(parseVocXml(xml, 'a.xml').objects.map((o) => o.class)).toEqual(['a']);
    expect(holdVoc(rec.objects[0], image, { ignoreClass: 'void' })).toMatch(/ignore-class/);
    expect(holdVoc(rec.objects[1], image, { ignoreClass: 'void' })).toMatch(/boxes of the ignore class/);
    expect([...tally.notExported.keys()]).toEqual(['boxes of the ignore class: VOC marks ignore regions only in the segmentation PNGs']);
  });

  it('round-trips random boxes within the mapping', () => {
    let s = 12345;
    const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    for (let t = 0; t < 200; t++) {
      const image = { id: t, file: `${t}.jpg`, width: 1 + Math.floor(rnd() * 300), height: 1 + Math.floor(rnd() * 300) };
      const objects = Array.from({ length: 1 + Math.floor(rnd() * 6) }, () =>
        obj(['a', 'b<c', 'd'][Math.floor(rnd() * 3)], { type: 'box', x: rnd() * image.width * 1.2 - 10, y: rnd() * image.height * 1.2 - 10, w: rnd() * 80, h: rnd() * 80 }, { difficult: rnd() < 0.3, truncated: rnd() < 0.3 ? 1 : 0 }),
      );
      const rec = { image, objects };
      const xml = vocAnnotationXml(rec, { folder: 'f', filename: image.file, depth: 3 }, new ExportTally());
      const parsed = parseVocXml(xml, 'a.xml');
      const held = objects.flatMap((o) => {
        const h = holdVoc(o, image);
        return typeof h === 'string' ? [] : h;
      });
      expect(compareObjects(image.file, held, parsed.objects, 0, 0)).toEqual([]);
      for (const [o, p] of objects.map((o) => [o, holdVoc(o, image)] as const)) {
        if (typeof p === 'string') continue;
        const g = o.geometry as { x: number; y: number; w: number; h: number };
        const b = p[0].geometry as typeof g;
        // Within half a pixel of the box clipped to the image, unless it was under one pixel.
        const cx0 = Math.max(0, g.x), cx1 = Math.min(image.width, g.x + g.w);
        if (cx1 - cx0 >= 1) {
          expect(Math.abs(b.x - cx0)).toBeLessThanOrEqual(0.5);
          expect(Math.abs(b.x + b.w - cx1)).toBeLessThanOrEqual(0.5);
        }
        expect(b.x).toBeGreaterThanOrEqual(0);
        expect(b.x + b.w).toBeLessThanOrEqual(image.width);
        expect(b.w).toBeGreaterThanOrEqual(1);
      }
    }
  });
});

describe('parseVocXml', () => {
  it('reads a devkit file (VOC2007 000001.xml), ignoring source, owner, pose and parts', () => {
    const p = parseVocXml(golden('devkit_000001.xml'), 'Annotations/000001.xml');
    expect(p.file).toBe('000001.jpg');
    expect([p.width, p.height]).toEqual([353, 500]);
    expect(p.objects.map(({ where: _w, ...o }) => o)).toEqual([
      { class: 'dog', kind: 'box', geometry: { type: 'box', x: 47, y: 239, w: 148, h: 132 }, attributes: { truncated: true }, score: null },
      { class: 'person', kind: 'box', geometry: { type: 'box', x: 7, y: 11, w: 345, h: 487 }, attributes: { truncated: true }, score: null },
    ]);
  });

  it('accepts decimal coordinates, xmin 0 from 0-based tools, and a missing size', () => {
    const p = parseVocXml('<annotation><filename>a.jpg</filename><object><name>x</name><bndbox><xmin>0</xmin><ymin>10.5</ymin><xmax>20</xmax><ymax>30.5</ymax></bndbox></object></annotation>', 'a.xml');
    expect(p.objects[0].geometry).toEqual({ type: 'box', x: 0, y: 9.5, w: 20, h: 21 });
    expect([p.width, p.height]).toEqual([null, null]);
    const zero = parseVocXml('<annotation><filename>a.jpg</filename><size><width>0</width><height>0</height></size></annotation>', 'a.xml');
    expect([zero.width, zero.height, zero.objects]).toEqual([null, null, []]);
  });

  const wrap = (objects: string, size = '<size><width>100</width><height>50</height><depth>3</depth></size>') =>
    `<annotation>\n<filename>a.jpg</filename>\n${size}\n${objects}\n</annotation>\n`;
  const box = (b: string, extra = '') => `<object>\n<name>cat</name>${extra}\n<bndbox>${b}</bndbox>\n</object>`;
  const ok = box('<xmin>1</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax>');
  const cases: [string, string, string | null, RegExp][] = [
    ['missing bndbox', wrap(`${ok}\n<object>\n<name>cat</name>\n</object>`), 'object[1], line 8', /"cat" has no <bndbox>/],
    ['missing name', wrap('<object>\n<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax></bndbox>\n</object>'), 'object[0], line 4', /has no <name>/],
    ['empty name', wrap('<object>\n<name> </name>\n</object>'), 'object[0], line 5', /has no <name>/],
    ['missing coordinate', wrap(box('<xmin>1</xmin><ymin>1</ymin><xmax>5</xmax>')), 'object[0], line 6', /<bndbox> has no <ymax>/],
    ['NaN coordinate', wrap(box('<xmin>NaN</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax>')), 'object[0], line 6', /<xmin> is "NaN", not a number/],
    ['text coordinate', wrap(box('<xmin>1</xmin><ymin>abc</ymin><xmax>5</xmax><ymax>5</ymax>')), 'object[0], line 6', /<ymin> is "abc", not a number/],
    ['empty coordinate', wrap(box('<xmin>1</xmin><ymin>1</ymin><xmax></xmax><ymax>5</ymax>')), 'object[0], line 6', /<xmax> is "", not a number/],
    ['infinite coordinate', wrap(box('<xmin>1</xmin><ymin>1</ymin><xmax>1e999</xmax><ymax>5</ymax>')), 'object[0], line 6', /not a finite number/],
    ['negative coordinate', wrap(box('<xmin>-4</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax>')), 'object[0], line 6', /<xmin> is -4: VOC coordinates count pixels from 1/],
    ['xmax < xmin', wrap(box('<xmin>10</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax>')), 'object[0], line 6', /xmax 5 is less than xmin 10/],
    ['ymax < ymin', wrap(box('<xmin>1</xmin><ymin>9</ymin><xmax>5</xmax><ymax>5</ymax>')), 'object[0], line 6', /ymax 5 is less than ymin 9/],
    ['past the width', wrap(box('<xmin>1</xmin><ymin>1</ymin><xmax>101</xmax><ymax>5</ymax>')), 'object[0], line 6', /<xmax> is 101, past the image's width 100/],
    ['overflowing without a size', wrap(box('<xmin>1</xmin><ymin>1</ymin><xmax>1e12</xmax><ymax>5</ymax>'), ''), 'object[0], line 6', /larger than any image/],
    ['bad difficult', wrap(box('<xmin>1</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax>', '\n<difficult>maybe</difficult>')), 'object[0], line 6', /<difficult> is "maybe", expected 0 or 1/],
    ['bad size', wrap(ok, '<size><width>wide</width><height>50</height></size>'), 'line 3', /<size><width> is "wide"/],
    ['no filename', '<annotation>\n<object/>\n</annotation>', 'line 1', /no <filename>/],
    ['wrong root', '<?xml version="1.0"?>\n<annotations/>', 'line 2', /root element is <annotations>/],
    ['malformed XML', wrap(`${ok}\n<object><name>a</nam></object>`), 'line 8', /<\/nam> does not match <name>/],
  ];
  for (const [name, text, where, re] of cases) {
    it(`refuses ${name}, naming the file and object or line`, () => {
      const e = refusal(() => parseVocXml(text, 'Annotations/a.xml'));
      expect(e.file).toBe('Annotations/a.xml');
      expect(e.where).toBe(where);
      expect(e.problem).toMatch(re);
    });
  }
});

describe('mergeVocSegmentation', () => {
  const objects = (n: number): ParsedObject[] =>
    Array.from({ length: n }, (_, i) => ({ class: `c${i}`, kind: 'box' as const, geometry: boxFromVoc({ xmin: 1, ymin: 1, xmax: 2, ymax: 2 }), attributes: (i === 0 ? { difficult: true } : {}) as ParsedObject['attributes'], score: null, where: `object[${i}], line ${i + 3}` }));
  const png = (data: number[], width = 3, channels = 1) => ({ width, height: data.length / width / channels, channels, data: Uint8Array.from(data) });

  it('turns object[v - 1] into the mask of instance value v, keeping class and flags', () => {
    const inst = png([1, 1, 0, 0, 2, 255]);
    const cls = png([5, 5, 0, 0, 9, 255]);
    const out = mergeVocSegmentation(objects(3), inst, cls, 'Annotations/a.xml');
    expect(out[0]).toEqual({ class: 'c0', kind: 'mask', geometry: { type: 'mask', width: 3, height: 2, ...{ counts: encodeRle([1, 1, 0, 0, 0, 0], 3, 2).counts } }, attributes: { difficult: true }, score: null, where: 'object[0], line 3, SegmentationObject value 1' });
    expect(out[1].geometry).toEqual({ type: 'mask', width: 3, height: 2, counts: encodeRle([0, 0, 0, 0, 1, 0], 3, 2).counts });
    expect(out[2].kind).toBe('box'); // no pixels: stays the XML's box
  });

  const bad: [string, () => unknown, RegExp][] = [
    ['a value past the XML objects', () => mergeVocSegmentation(objects(1), png([1, 2, 0]), png([1, 1, 0]), 'Annotations/a.xml'), /value 2, but the XML lists 1 object/],
    ['an rgb PNG', () => mergeVocSegmentation(objects(1), png([1, 2, 0, 0, 0, 0, 0, 0, 0], 3, 3), png([1, 1, 0]), 'Annotations/a.xml'), /SegmentationObject PNG has 3 channels/],
    ['different sizes', () => mergeVocSegmentation(objects(1), png([1, 0, 0]), png([1, 0, 0, 0]), 'Annotations/a.xml'), /3×1 but its SegmentationClass PNG is 3×1|is 3×1 but/],
    ['an instance on background', () => mergeVocSegmentation(objects(1), png([1, 1, 0]), png([1, 0, 0]), 'Annotations/a.xml'), /value 1 covers pixel \(1, 0\), which SegmentationClass marks as background/],
    ['an instance of two classes', () => mergeVocSegmentation(objects(1), png([1, 1, 0]), png([1, 2, 0]), 'Annotations/a.xml'), /values 1 and 2/],
  ];
  for (const [name, fn, re] of bad) {
    it(`refuses ${name}`, () => {
      const e = refusal(fn);
      expect(e.file).toBe('Annotations/a.xml');
      expect(e.problem).toMatch(re);
    });
  }
});

describe('image sets and labelmap', () => {
  const entries = [
    { id: '000001', split: 'train' as const, objects: [{ class: 'dog', difficult: false }, { class: 'cat', difficult: true }], segmented: true },
    { id: '000002', split: 'val' as const, objects: [{ class: 'cat', difficult: false }], segmented: false },
    { id: '000003', split: 'test' as const, objects: [], segmented: true },
    { id: '000004', split: 'train' as const, objects: [{ class: 'cat', difficult: true }, { class: 'cat', difficult: false }], segmented: false },
  ];

  it('writes the devkit lists: ids per split, " 1"/" 0"/"-1" per class, trainval = train ∪ val, segmentation lists', () => {
    const files = Object.fromEntries(vocImageSets(entries, ['cat', 'dog']).map((f) => [f.path, f.text]));
    expect(Object.keys(files)).toEqual([
      'ImageSets/Main/train.txt', 'ImageSets/Main/cat_train.txt', 'ImageSets/Main/dog_train.txt',
      'ImageSets/Main/val.txt', 'ImageSets/Main/cat_val.txt', 'ImageSets/Main/dog_val.txt',
      'ImageSets/Main/trainval.txt', 'ImageSets/Main/cat_trainval.txt', 'ImageSets/Main/dog_trainval.txt',
      'ImageSets/Main/test.txt', 'ImageSets/Main/cat_test.txt', 'ImageSets/Main/dog_test.txt',
      'ImageSets/Segmentation/train.txt', 'ImageSets/Segmentation/val.txt', 'ImageSets/Segmentation/trainval.txt', 'ImageSets/Segmentation/test.txt',
    ]);
    // val has no segmented image, but its list exists (empty): torchvision's VOCSegmentation opens it.
    expect(files['ImageSets/Segmentation/val.txt']).toBe('');
    expect(files['ImageSets/Main/train.txt']).toBe('000001\n000004\n');
    expect(files['ImageSets/Main/trainval.txt']).toBe('000001\n000002\n000004\n');
    expect(files['ImageSets/Main/cat_trainval.txt']).toBe('000001  0\n000002  1\n000004  1\n');
    expect(files['ImageSets/Main/dog_trainval.txt']).toBe('000001  1\n000002 -1\n000004 -1\n');
    expect(files['ImageSets/Main/cat_test.txt']).toBe('000003 -1\n');
    expect(files['ImageSets/Segmentation/trainval.txt']).toBe('000001\n');
    expect(parseVocImageSet(files['ImageSets/Main/cat_trainval.txt'], 'cat_trainval.txt')).toEqual(['000001', '000002', '000004']);
  });

  it('puts everything in train and trainval without a split, and refuses ids with spaces', () => {
    const files = vocImageSets([{ id: 'a', split: null, objects: [], segmented: false }], ['x/y']).map((f) => f.path);
    expect(files).toEqual(['ImageSets/Main/train.txt', 'ImageSets/Main/x_y_train.txt', 'ImageSets/Main/trainval.txt', 'ImageSets/Main/x_y_trainval.txt']);
    expect(() => vocImageSets([{ id: 'a b', split: null, objects: [], segmented: false }], [])).toThrow(/whitespace/);
  });

  it('refuses a malformed image set line', () => {
    const e = refusal(() => parseVocImageSet('000001\n000002 banana\n', 'ImageSets/Main/train.txt'));
    expect([e.file, e.where]).toEqual(['ImageSets/Main/train.txt', 'line 2']);
  });

  it('writes and reads labelmap.txt as CVAT/Datumaro do', () => {
    const text = vocLabelmap(['cat', 'dog'], vocPalette());
    expect(text).toBe('# label:color_rgb:parts:actions\nbackground:0,0,0::\ncat:128,0,0::\ndog:0,128,0::\n');
    expect(parseVocLabelmap(text, 'labelmap.txt')).toEqual(['background', 'cat', 'dog']);
    expect(refusal(() => parseVocLabelmap('background:0,0,0::\ncat\n', 'labelmap.txt')).where).toBe('line 2');
    expect(refusal(() => parseVocLabelmap('a:::\na:::\n', 'labelmap.txt')).problem).toMatch(/listed twice/);
    expect(VOC_CLASSES).toHaveLength(20);
  });
});
