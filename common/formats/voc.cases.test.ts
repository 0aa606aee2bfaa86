/**
 * Hand-worked Pascal VOC cases (issue 13): one behaviour per case, the expected values worked out from the VOC
 * convention (1-based inclusive pixel indices: a box x…x+w covers VOC xmin = round(x) + 1 … xmax = round(x + w)).
 */
import { describe, expect, it } from 'vitest';
import { formatObject, refusal } from '../../test/formats-testkit.js';
import { encodeRle } from '../geometry/rle.js';
import { vocPalette } from './masks.js';
import { ExportTally, type FormatClass, type FormatObject, type FormatRecord, type ParsedObject } from './types.js';
import { holdVoc, mergeVocSegmentation, parseVocImageSet, parseVocLabelmap, parseVocXml, vocImageSets, vocLabelmap, vocObjects, vocSegmented } from './voc.js';

const image = { id: 1, file: 'a.jpg', width: 10, height: 10 };
const obj = (cls: string | null, geometry: FormatObject['geometry']): FormatObject => formatObject(cls, geometry, {});
const box = (x: number, y: number, w: number, h: number): FormatObject['geometry'] => ({ type: 'box', x, y, w, h });

/** The one object's VOC box and what the export tally says about it (on the 10×10 image). */
function exportOne(o: FormatObject, opts = {}) {
  const tally = new ExportTally();
  const objs = vocObjects({ image, objects: [o] }, opts, tally);
  return { boxes: objs.map((v) => v.box), notExported: Object.fromEntries(tally.notExported), changed: Object.fromEntries(tally.changed) };
}

const ROUNDED = 'boxes rounded to whole pixels (VOC coordinates are integer pixel indices)';
const CLIPPED = 'boxes clipped to the image';
const WIDENED = 'boxes under a pixel wide or tall widened to one pixel';
const OUTSIDE = 'shapes entirely outside the image: VOC boxes lie inside it';

describe('box mapping on a 10×10 image, one coordinate at a time', () => {
  it('an integer box inside maps exactly and is not counted as changed', () => {
    // x 2…6, y 3…8 → pixels 3…6, 4…8
    expect(exportOne(obj('car', box(2, 3, 4, 5)))).toEqual({ boxes: [{ xmin: 3, ymin: 4, xmax: 6, ymax: 8 }], changed: {}, notExported: {} });
  });

  const rounded: [string, FormatObject['geometry'], object][] = [
    ['xmin', box(2.4, 3, 3.6, 5), { xmin: 3, ymin: 4, xmax: 6, ymax: 8 }], // round(2.4) + 1 = 3
    ['ymin', box(2, 3.4, 4, 4.6), { xmin: 3, ymin: 4, xmax: 6, ymax: 8 }], // round(3.4) + 1 = 4
    ['xmax', box(2, 3, 4.3, 5), { xmin: 3, ymin: 4, xmax: 6, ymax: 8 }], // round(6.3) = 6
    ['ymax', box(2, 3, 4, 5.3), { xmin: 3, ymin: 4, xmax: 6, ymax: 8 }], // round(8.3) = 8
  ];
  for (const [name, g, b] of rounded) {
    it(`counts a box rounded only at ${name}`, () => {
      expect(exportOne(obj('car', g))).toEqual({ boxes: [b], changed: { [ROUNDED]: 1 }, notExported: {} });
    });
  }

  const clipped: [string, FormatObject['geometry'], object][] = [
    ['left', box(-2, 3, 5, 5), { xmin: 1, ymin: 4, xmax: 3, ymax: 8 }], // x -2…3 → 0…3
    ['right', box(7, 3, 5, 5), { xmin: 8, ymin: 4, xmax: 10, ymax: 8 }], // x 7…12 → 7…10
    ['top', box(2, -1, 4, 4), { xmin: 3, ymin: 1, xmax: 6, ymax: 3 }], // y -1…3 → 0…3
    ['bottom', box(2, 8, 4, 5), { xmin: 3, ymin: 9, xmax: 6, ymax: 10 }], // y 8…13 → 8…10
  ];
  for (const [name, g, b] of clipped) {
    it(`counts a box clipped only at the ${name}`, () => {
      expect(exportOne(obj('car', g))).toEqual({ boxes: [b], changed: { [CLIPPED]: 1 }, notExported: {} });
    });
  }

  it('widens a box under a pixel wide (only x) or tall (only y) to one pixel', () => {
    // x 2.6…2.8: xmin round(2.6) + 1 = 4, xmax round(2.8) = 3 < 4 → 4
    expect(exportOne(obj('car', box(2.6, 3, 0.2, 5)))).toEqual({ boxes: [{ xmin: 4, ymin: 4, xmax: 4, ymax: 8 }], changed: { [WIDENED]: 1 }, notExported: {} });
    // y 3.6…3.8: ymin 5, ymax 4 → 5
    expect(exportOne(obj('car', box(2, 3.6, 4, 0.2)))).toEqual({ boxes: [{ xmin: 3, ymin: 5, xmax: 6, ymax: 5 }], changed: { [WIDENED]: 1 }, notExported: {} });
  });

  it('keeps a zero-width or zero-height box inside the image as one pixel', () => {
    // x 3…3: xmin 4, xmax 3 → 4
    expect(exportOne(obj('car', box(3, 3, 0, 2)))).toEqual({ boxes: [{ xmin: 4, ymin: 4, xmax: 4, ymax: 5 }], changed: { [WIDENED]: 1 }, notExported: {} });
    expect(exportOne(obj('car', box(3, 3, 2, 0)))).toEqual({ boxes: [{ xmin: 4, ymin: 4, xmax: 5, ymax: 4 }], changed: { [WIDENED]: 1 }, notExported: {} });
  });

  const outside: [string, FormatObject['geometry']][] = [
    ['touching the right edge from outside', box(10, 2, 3, 3)],
    ['touching the bottom edge from outside', box(2, 10, 3, 3)],
    ['touching the left edge from outside', box(-5, 2, 5, 3)],
    ['touching the top edge from outside', box(2, -5, 3, 5)],
  ];
  for (const [name, g] of outside) {
    it(`does not export a box ${name}`, () => {
      expect(exportOne(obj('car', g))).toEqual({ boxes: [], notExported: { [OUTSIDE]: 1 }, changed: {} });
    });
  }

  it('does not count a polygon with fractional points as a changed box, and marks only shapes the PNGs paint', () => {
    const poly = obj('car', { type: 'polygon', points: [2.4, 3, 6, 3, 6, 8] });
    expect(exportOne(poly)).toEqual({ boxes: [{ xmin: 3, ymin: 4, xmax: 6, ymax: 8 }], changed: {}, notExported: {} });
    expect(vocObjects({ image, objects: [poly, obj('car', box(2, 3, 4, 5))] }).map((o) => o.segment)).toEqual([true, false]);
  });

  it('refuses a mask whose width or height alone differs from the image', () => {
    const mask = (w: number, h: number) => ({ type: 'mask' as const, ...encodeRle(new Uint8Array(w * h).fill(1), w, h) });
    const SIZE = 'masks whose size differs from the image';
    expect(exportOne(obj('car', mask(9, 10)))).toEqual({ boxes: [], notExported: { [SIZE]: 1 }, changed: {} });
    expect(exportOne(obj('car', mask(10, 9)))).toEqual({ boxes: [], notExported: { [SIZE]: 1 }, changed: {} });
    expect(exportOne(obj('car', mask(10, 10)))).toEqual({ boxes: [{ xmin: 1, ymin: 1, xmax: 10, ymax: 10 }], notExported: {}, changed: {} });
  });

  it('an image with only a mask is segmented', () => {
    const m = new Uint8Array(100);
    m[0] = 1;
    const rec: FormatRecord = { image, objects: [obj('car', { type: 'mask', ...encodeRle(m, 10, 10) })] };
    expect(vocSegmented(rec)).toBe(true);
  });

  it('holdVoc: an ignore-class polygon is held only by the PNGs; another class keeps its box', () => {
    const poly: FormatObject['geometry'] = { type: 'polygon', points: [2, 3, 6, 3, 6, 8] };
    expect(holdVoc(obj('void', poly), image, { ignoreClass: 'void' })).toBe('ignore-class regions: VOC holds them only as void (255) in the segmentation PNGs');
    const held = holdVoc(obj('car', poly), image, { ignoreClass: 'void' });
    expect(held).toEqual([{ class: 'car', kind: 'box', geometry: { type: 'box', x: 2, y: 3, w: 4, h: 5 }, attributes: {}, score: null }]);
  });
});

const xml = (size: string, bndbox = '<xmin>1</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax>', extra = '') =>
  `<annotation><filename>a.jpg</filename>${size}<object><name>cat</name>${extra}<bndbox>${bndbox}</bndbox></object></annotation>`;
const sizeOf = (w: string, h: string) => `<size><width>${w}</width><height>${h}</height></size>`;

describe('parseVocXml: size, numbers, flags', () => {
  it('trims the filename', () => {
    expect(parseVocXml('<annotation><filename> a.jpg </filename></annotation>', 'x.xml').file).toBe('a.jpg');
  });

  it('reads a size with spaces around the numbers', () => {
    expect(parseVocXml(xml(sizeOf(' 640 ', ' 480 ')), 'a.xml')).toMatchObject({ width: 640, height: 480 });
  });

  it('reads an empty, blank, zero or half-given size as unknown', () => {
    for (const s of [sizeOf('', '480'), sizeOf(' ', '480'), sizeOf('0', '480'), sizeOf('00', '480'), sizeOf(' 0 ', '480'), sizeOf('640', '0'),
      '<size><width>640</width></size>', '<size><height>480</height></size>', '<size><width>640</width><height> </height></size>']) {
      expect(parseVocXml(xml(s), 'a.xml'), s).toMatchObject({ width: null, height: null });
    }
  });

  it('refuses a size that is not a whole number, naming the text as written (trimmed)', () => {
    for (const [w, shown] of [['0.0', '"0.0"'], ['-0', '"-0"'], ['1e3', '"1e3"'], [' 1e3 ', '"1e3"'], ['1000001', '"1000001"']]) {
      const e = refusal(() => parseVocXml(xml(sizeOf(w, '480')), 'a.xml'));
      expect(e.problem).toBe(`<size><width> is ${shown}, expected a whole number from 1 to 1000000`);
    }
  });

  it('accepts the largest size, 1000000', () => {
    expect(parseVocXml(xml(sizeOf('1000000', '480')), 'a.xml')).toMatchObject({ width: 1000000, height: 480 });
  });

  it('reads coordinates with spaces, leading-dot decimals and exponents with a sign', () => {
    // xmin 2 → x 1; ymin .25 → first pixel (1) → y 0; xmax 1e+1 = 10 → w 10 - 2 + 1 = 9; ymax 5 → h 5
    const p = parseVocXml(xml('', '<xmin> 2 </xmin><ymin>.25</ymin><xmax>1e+1</xmax><ymax>5</ymax>'), 'a.xml');
    expect(p.objects[0].geometry).toEqual({ type: 'box', x: 1, y: 0, w: 9, h: 5 });
  });

  it('refuses text around a number as "not a number"', () => {
    for (const t of ['a5', '5a']) {
      const e = refusal(() => parseVocXml(xml('', `<xmin>${t}</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax>`), 'a.xml'));
      expect(e.problem).toBe(`<xmin> is "${t}", not a number`);
    }
  });

  it('checks coordinates against the size: inside is fine, past the width is refused', () => {
    expect(parseVocXml(xml(sizeOf('640', '480'), '<xmin>1</xmin><ymin>1</ymin><xmax>640</xmax><ymax>480</ymax>'), 'a.xml').objects).toHaveLength(1);
    const e = refusal(() => parseVocXml(xml(sizeOf('640', '480'), '<xmin>1</xmin><ymin>1</ymin><xmax>641</xmax><ymax>5</ymax>'), 'a.xml'));
    expect(e.problem).toBe("<xmax> is 641, past the image's width 640");
    const h = refusal(() => parseVocXml(xml(sizeOf('640', '480'), '<xmin>1</xmin><ymin>1</ymin><xmax>5</xmax><ymax>481</ymax>'), 'a.xml'));
    expect(h.problem).toBe("<ymax> is 481, past the image's height 480");
  });

  it('accepts a coordinate of 1000000 without a size', () => {
    const p = parseVocXml(xml('', '<xmin>1</xmin><ymin>1</ymin><xmax>1000000</xmax><ymax>5</ymax>'), 'a.xml');
    expect(p.objects[0].geometry).toEqual({ type: 'box', x: 0, y: 0, w: 1000000, h: 5 });
  });

  it('reads flags with spaces, a + sign, leading zeros, and skips empty ones', () => {
    const p = parseVocXml(xml('', undefined, '<truncated> 1 </truncated><difficult>+1</difficult><occluded>00</occluded>'), 'a.xml');
    expect(p.objects[0].attributes).toEqual({ truncated: true, difficult: true });
    expect(parseVocXml(xml('', undefined, '<difficult>10</difficult><occluded></occluded>'), 'a.xml').objects[0].attributes).toEqual({ difficult: true });
  });

  it('refuses a flag with text around the digits', () => {
    for (const t of ['x1', '1x']) {
      expect(refusal(() => parseVocXml(xml('', undefined, `<difficult>${t}</difficult>`), 'a.xml')).problem).toBe(`<difficult> is "${t}", expected 0 or 1`);
    }
  });
});

describe('mergeVocSegmentation checks', () => {
  const objects: ParsedObject[] = [{ class: 'cat', kind: 'box', geometry: { type: 'box', x: 0, y: 0, w: 2, h: 2 }, attributes: {}, score: null, where: 'object[0], line 1' }];
  const png = (w: number, h: number, data: number[], channels = 1) => ({ width: w, height: h, channels, data: Uint8Array.from(data) });

  it('refuses a SegmentationClass PNG that is not one channel, or of another size', () => {
    expect(refusal(() => mergeVocSegmentation(objects, png(2, 1, [1, 0]), png(2, 1, [1, 0, 0, 0, 0, 0], 3), 'a.xml')).problem)
      .toBe('its SegmentationClass PNG has 3 channels; expected an indexed (palette) or grey PNG of class values');
    expect(refusal(() => mergeVocSegmentation(objects, png(2, 1, [1, 0]), png(1, 2, [1, 0]), 'a.xml')).problem)
      .toBe('its SegmentationObject PNG is 2×1 but its SegmentationClass PNG is 1×2');
    expect(refusal(() => mergeVocSegmentation(objects, png(2, 1, [1, 0]), png(1, 1, [1]), 'a.xml')).problem)
      .toBe('its SegmentationObject PNG is 2×1 but its SegmentationClass PNG is 1×1');
    expect(refusal(() => mergeVocSegmentation(objects, png(1, 2, [1, 0]), png(1, 1, [1]), 'a.xml')).problem)
      .toBe('its SegmentationObject PNG is 1×2 but its SegmentationClass PNG is 1×1');
  });

  it('ignores void (255) instance pixels whatever their class, and leaves the input list alone', () => {
    const input = objects.slice();
    const out = mergeVocSegmentation(input, png(2, 2, [1, 255, 255, 0]), png(2, 2, [3, 255, 0, 0]), 'a.xml');
    expect(out[0].geometry).toEqual({ type: 'mask', width: 2, height: 2, counts: [0, 1, 3] });
    expect(input[0]).toBe(objects[0]);
  });

  it('names the pixel (x, y) where an instance changes class', () => {
    // 3×2: value 1 at (0,0), (1,0) over class 2, and at (1,1) (index 4) over class 5
    const e = refusal(() => mergeVocSegmentation(objects, png(3, 2, [1, 1, 0, 0, 1, 0]), png(3, 2, [2, 2, 0, 0, 5, 0]), 'a.xml'));
    expect(e.problem).toBe('SegmentationObject value 1 covers pixels of SegmentationClass values 2 and 5 (at (1, 1)); an instance has one class');
  });
});

describe('image sets and labelmap cases', () => {
  it('refuses an empty id', () => {
    expect(() => vocImageSets([{ id: '', split: null, objects: [], segmented: false }], [])).toThrow('a VOC image id cannot be empty or hold whitespace: ""');
  });

  it('writes the segmentation list when only some images of a split are segmented', () => {
    const files = Object.fromEntries(vocImageSets([
      { id: 'a', split: 'train', objects: [], segmented: true },
      { id: 'b', split: 'train', objects: [], segmented: false },
    ], []).map((f) => [f.path, f.text]));
    expect(files['ImageSets/Segmentation/train.txt']).toBe('a\n');
    expect(files['ImageSets/Segmentation/trainval.txt']).toBe('a\n');
  });

  it('reads image set lines with spaces around them, and names a bad line', () => {
    expect(parseVocImageSet('  000001  \n000002 -1\n', 'train.txt')).toEqual(['000001', '000002']);
    const e = refusal(() => parseVocImageSet('a b c\n', 'train.txt'));
    expect(e.problem).toBe('expected an image id, optionally followed by -1, 0 or 1; got "a b c"');
  });

  it('writes class objects by name, and no colour past value 255', () => {
    const text = vocLabelmap([{ name: 'cat' } as FormatClass], vocPalette());
    expect(text).toBe('# label:color_rgb:parts:actions\nbackground:0,0,0::\ncat:128,0,0::\n');
    const many = vocLabelmap(Array.from({ length: 256 }, (_, i) => `c${i + 1}`), vocPalette()).split('\n');
    // value 255 (c255) still has a colour, value 256 (c256) has none
    expect(many[256]).toMatch(/^c255:\d+,\d+,\d+::$/);
    expect(many[257]).toBe('c256:::');
  });

  it('refuses a class name with a colon', () => {
    expect(() => vocLabelmap(['a:b'], vocPalette())).toThrow(`class name "a:b" cannot be written in labelmap.txt (it holds ':' or a line break)`);
  });

  it('reads labelmap lines with spaces around them and skips blank lines', () => {
    expect(parseVocLabelmap('# label:color_rgb:parts:actions\n  background:0,0,0::  \n   \ncat:1,2,34::\n', 'labelmap.txt')).toEqual(['background', 'cat']);
  });

  it('names the line and problem of a bad labelmap', () => {
    const bad = (text: string) => refusal(() => parseVocLabelmap(text, 'labelmap.txt'));
    expect(bad('background:0,0,0::\ncat\n')).toMatchObject({ where: 'line 2', problem: 'expected name:r,g,b:parts:actions, got "cat"' });
    for (const c of ['1,2', 'x1,2,3', '1,2,3x', '1,2,3456']) {
      expect(bad(`background:0,0,0::\ncat:${c}::\n`)).toMatchObject({ where: 'line 2', problem: `colour "${c}" is not r,g,b` });
    }
    expect(bad('\na:::\nb:::\na:::\n')).toMatchObject({ where: 'line 4', problem: 'class "a" is listed twice (also line 2)' });
    expect(bad('# label:color_rgb:parts:actions\n\n')).toMatchObject({ where: null, problem: 'no labels' });
  });
});
