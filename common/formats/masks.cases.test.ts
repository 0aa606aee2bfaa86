/**
 * Segmentation PNG cases worked by hand: row-major class / instance maps (0 background, index + 1, 255 void),
 * column-major mask RLE, classes.txt with `_background_` on line 0. One case per rule, so that a change to any
 * of them fails here; masks.test.ts holds the golden 6×4 image and the round trips.
 */
import { formatObject, refusal } from '../../test/formats-testkit.js';
import { describe, expect, it } from 'vitest';
import { encodeRle } from '../geometry/rle.js';
import {
  classesTxt,
  holdSemantic,
  holdVocImage,
  IGNORE_VALUE,
  instanceMap,
  MASK_REASONS,
  masksFromInstanceMap,
  masksFromSemanticMap,
  MAX_VALUES,
  parseClassesTxt,
  semanticMap,
  semanticSkipReason,
} from './masks.js';
import { ExportTally, type FormatObject, type FormatRecord } from './types.js';

const obj = (cls: string | null, geometry: FormatObject['geometry'], attributes: FormatObject['attributes'] = {}): FormatObject => formatObject(cls, geometry, { attributes });
const rows = (...r: number[][]) => Uint8Array.from(r.flat());
const square = (x: number, y: number, s = 1) => ({ type: 'polygon' as const, points: [x, y, x + s, y, x + s, y + s, x, y + s] });

describe('constants', () => {
  it('255 is void and 254 values are left for classes', () => {
    expect([IGNORE_VALUE, MAX_VALUES]).toEqual([255, 254]);
    expect(MASK_REASONS.tooManyClasses).toBe('shapes of classes past the 254th: an 8-bit segmentation PNG holds 254 classes');
    expect(MASK_REASONS.tooManyObjects).toBe('polygons or masks past the 254th object of an image: SegmentationObject holds 254');
  });
});

describe('semanticMap', () => {
  it('paints a mask’s column-major runs at their row-major pixels', () => {
    // 3×2 image, pixels (2, 0) and (0, 1): column-major positions 4 and 1 → counts 1 0s, 1 1, 2 0s, 1 1, 1 0.
    const image = { id: 1, file: 'a.png', width: 3, height: 2 };
    const m = semanticMap({ image, objects: [obj('a', { type: 'mask', width: 3, height: 2, counts: [1, 1, 2, 1, 1] })] }, new Map([['a', 0]]));
    expect(Array.from(m)).toEqual([0, 0, 1, 1, 0, 0]);
  });

  it('paints the pixels whose centre a fractional polygon covers', () => {
    const image = { id: 1, file: 'a.png', width: 6, height: 5 };
    // x 0.3…4.6 holds the centres of columns 0-4, y 0.3…3.6 those of rows 0-3.
    const m = semanticMap({ image, objects: [obj('b', { type: 'polygon', points: [0.3, 0.3, 4.6, 0.3, 4.6, 3.6, 0.3, 3.6] })] }, new Map([['a', 0], ['b', 1]]));
    expect(Array.from(m)).toEqual(Array.from(rows([2, 2, 2, 2, 2, 0], [2, 2, 2, 2, 2, 0], [2, 2, 2, 2, 2, 0], [2, 2, 2, 2, 2, 0], [0, 0, 0, 0, 0, 0])));
  });

  it('paints the inside part of polygons that cross the edges', () => {
    const image = { id: 1, file: 'a.png', width: 4, height: 3 };
    const classes = new Map([['a', 0]]);
    expect(Array.from(semanticMap({ image, objects: [obj('a', { type: 'polygon', points: [-3, -3, 9, -3, 9, 9, -3, 9] })] }, classes))).toEqual(new Array(12).fill(1));
    expect(Array.from(semanticMap({ image, objects: [obj('a', { type: 'polygon', points: [2.2, 1.2, 10, 1.2, 10, 10, 2.2, 10] })] }, classes))).toEqual(Array.from(rows([0, 0, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1])));
  });

  it('paints class index 253 as 254, the last value before void', () => {
    const image = { id: 1, file: 'a.png', width: 2, height: 1 };
    const tally = new ExportTally();
    const m = semanticMap({ image, objects: [obj('last', square(0, 0))] }, new Map([['last', 253]]), { tally });
    expect(Array.from(m)).toEqual([254, 0]);
    expect(tally.lines()).toEqual([]);
  });

  it('paints the ignore class 255 even when the class list leaves it out, and refuses other unknown classes', () => {
    const image = { id: 1, file: 'a.png', width: 2, height: 1 };
    expect(Array.from(semanticMap({ image, objects: [obj('void', square(1, 0))] }, new Map([['a', 0]]), { ignoreClass: 'void' }))).toEqual([0, 255]);
    expect(() => semanticMap({ image, objects: [obj('b', square(1, 0))] }, new Map([['a', 0]]))).toThrow('class "b" is not in the class list');
    // Without an ignore class, a class named "void" is an ordinary class.
    expect(Array.from(semanticMap({ image, objects: [obj('void', square(1, 0))] }, new Map([['void', 0]])))).toEqual([0, 1]);
  });

  it('leaves out what it cannot paint without a tally to count it', () => {
    const image = { id: 1, file: 'a.png', width: 2, height: 1 };
    const objects = [
      obj('a', { type: 'mask', width: 1, height: 1, counts: [0, 1] }),
      obj('z', square(0, 0)),
      obj('a', { type: 'polygon', points: [0, 0, 2, 0, 2, 0.1] }),
      obj('a', { type: 'box', x: 0, y: 0, w: 2, h: 1 }),
      obj(null, square(1, 0)),
    ];
    expect(Array.from(semanticMap({ image, objects }, new Map([['a', 0], ['z', 254]])))).toEqual([0, 0]);
  });

  it('counts a mask hidden under a smaller shape, and a thin polygon as changed, once each', () => {
    const image = { id: 1, file: 'a.png', width: 2, height: 2 };
    // The 2-pixel mask (area 2) is covered by two 1-pixel squares painted over it.
    const mask = obj('a', { type: 'mask', ...encodeRle(rows([1, 1], [0, 0]), 2, 2) });
    const tally = new ExportTally();
    const m = semanticMap({ image, objects: [mask, obj('b', square(0, 0)), obj('b', square(1, 0)), obj('a', { type: 'polygon', points: [0, 1, 2, 1, 2, 1.2] })] }, new Map([['a', 0], ['b', 1]]), { tally });
    expect(Array.from(m)).toEqual([2, 2, 0, 0]);
    expect(Object.fromEntries(tally.notExported)).toEqual({ [MASK_REASONS.hidden]: 1 });
    expect(Object.fromEntries(tally.changed)).toEqual({ [MASK_REASONS.empty]: 1 });
  });
});

describe('instanceMap', () => {
  it('keeps instances on their class where an ignore region of the same area overlaps (later on top in both maps)', () => {
    const image = { id: 1, file: 'a.png', width: 3, height: 3 };
    const rec: FormatRecord = { image, objects: [obj('void', square(0, 0, 2)), obj('cat', square(1, 1, 2))] };
    const cls = semanticMap(rec, new Map([['cat', 0]]), { ignoreClass: 'void' });
    expect(Array.from(cls)).toEqual(Array.from(rows([255, 255, 0], [255, 1, 1], [0, 1, 1])));
    expect(Array.from(instanceMap(rec, { ignoreClass: 'void' }))).toEqual(Array.from(rows([255, 255, 0], [255, 1, 1], [0, 1, 1])));
  });

  it('paints an ignore-class mask 255 when it fits the image, not when it does not', () => {
    const image = { id: 1, file: 'a.png', width: 2, height: 1 };
    const fit = obj('void', { type: 'mask', width: 2, height: 1, counts: [1, 1] });
    const other = obj('void', { type: 'mask', width: 1, height: 2, counts: [0, 1, 1] });
    expect(Array.from(instanceMap({ image, objects: [fit] }, { ignoreClass: 'void' }))).toEqual([0, 255]);
    expect(Array.from(instanceMap({ image, objects: [other] }, { ignoreClass: 'void' }))).toEqual([0, 0]);
    expect(Array.from(instanceMap({ image, objects: [fit] }))).toEqual([0, 1]);
  });

  it('paints shapes of class index 253, and leaves out masks of another size', () => {
    const image = { id: 1, file: 'a.png', width: 2, height: 1 };
    const objects = [obj('a', square(0, 0)), obj('b', { type: 'mask', width: 1, height: 2, counts: [0, 2] }), obj('b', square(1, 0))];
    // XML objects: square a 1, square b 2 (VOC lists no mask of another size).
    expect(Array.from(instanceMap({ image, objects }, { classIndex: new Map([['a', 253], ['b', 0]]) }))).toEqual([1, 2]);
  });

  it('paints the 254th object as 254 and leaves the 255th out (no tally to count it)', () => {
    const image = { id: 1, file: 'a.png', width: 2, height: 1 };
    const objects = [...Array.from({ length: 253 }, () => obj('a', square(0, 0))), obj('a', square(1, 0)), obj('a', square(0, 0))];
    const m = instanceMap({ image, objects });
    expect(Array.from(m)).toEqual([253, 254]);
  });
});

describe('semanticSkipReason', () => {
  const image = { id: 1, file: 'a.png', width: 2, height: 2 };
  it('names why each kind is not painted', () => {
    expect(semanticSkipReason(obj('a', { type: 'box', x: 0, y: 0, w: 1, h: 1 }), image)).toBe('boxes: a class-index PNG holds regions only');
    expect(semanticSkipReason(obj('a', { type: 'keypoints', points: [1, 1, 2] }), image)).toBe('keypoints: a class-index PNG holds regions only');
    expect(semanticSkipReason(obj(null, { type: 'caption', text: 'x' }), image)).toBe('captions: a class-index PNG holds no text');
    expect(semanticSkipReason(obj('a', { type: 'tag' }), image)).toBe('image tags: a class-index PNG holds no tags');
    expect(semanticSkipReason(obj(null, { type: 'mask', width: 2, height: 2, counts: [4] }), image)).toBe('shapes without a class: a class-index PNG paints classes');
    expect(semanticSkipReason(obj('a', { type: 'mask', width: 2, height: 1, counts: [2] }), image)).toBe('masks whose size differs from the image');
    expect(semanticSkipReason(obj('a', { type: 'mask', width: 1, height: 2, counts: [2] }), image)).toBe('masks whose size differs from the image');
    expect(semanticSkipReason(obj('a', { type: 'mask', width: 2, height: 2, counts: [4] }), image)).toBeNull();
  });
});

describe('classes.txt', () => {
  it('refuses names that cannot be a line: empty, padded, with a line break', () => {
    for (const n of ['', ' a', 'a ', 'a\rb', 'a\nb']) expect(() => classesTxt(['ok', n])).toThrow(`class name ${JSON.stringify(n)} cannot be a line of classes.txt`);
    expect(classesTxt([])).toBe('_background_\n');
    expect(classesTxt(['a b', { name: 'c', index: 1, categoryId: 9, keypoints: null }])).toBe('_background_\na b\nc\n');
  });

  it('reads the background line in the spellings tools write, a byte-order mark, CRLF and no final newline', () => {
    expect(parseClassesTxt('\uFEFF_background_\r\ncat\r\ndog', 'classes.txt')).toEqual(['cat', 'dog']);
    expect(parseClassesTxt('Background\ncat\n', 'classes.txt')).toEqual(['cat']);
    expect(parseClassesTxt('__BACKGROUND__\ncat\n', 'classes.txt')).toEqual(['cat']);
    expect(parseClassesTxt(' _background_ \ncat\n', 'classes.txt')).toEqual(['cat']);
    expect(parseClassesTxt('_background_\n', 'classes.txt')).toEqual([]);
  });

  it('refuses a first line that is not the background, naming it', () => {
    for (const first of ['my_background', 'background_x', 'cat', '']) {
      const e = refusal(() => parseClassesTxt(`${first}\ncat\n`, 'ds/classes.txt'));
      expect([e.file, e.where, e.problem]).toEqual(['ds/classes.txt', 'line 1', `is ${JSON.stringify(first)}: line 1 names map value 0, the background (e.g. _background_)`]);
    }
  });

  it('refuses an empty file, blank lines and repeated names with their lines', () => {
    const empty = refusal(() => parseClassesTxt('', 'c.txt'));
    expect([empty.file, empty.where, empty.problem]).toEqual(['c.txt', null, 'is empty: expected the background on line 1, then one class per line']);
    expect(refusal(() => parseClassesTxt('\uFEFF', 'c.txt')).where).toBeNull();
    const blank = refusal(() => parseClassesTxt('_background_\ncat\n  \n', 'c.txt'));
    expect([blank.where, blank.problem]).toEqual(['line 3', 'is empty: every line names the class of one map value']);
    const twice = refusal(() => parseClassesTxt('_background_\ncat\ndog\ncat', 'c.txt'));
    expect([twice.where, twice.problem]).toEqual(['line 4', 'class "cat" is also on line 2']);
  });
});

describe('masksFromSemanticMap', () => {
  it('gives one mask per class value, in numeric order, as column-major RLE of the map’s size', () => {
    // 3×2: value 2 at (1, 0) and (0, 1) → column-major positions 2 and 1 → counts [1, 2, 3]; value 10 at (2, 1) → 5.
    const names = ['a', 'b', ...Array.from({ length: 8 }, (_, i) => `c${i + 3}`)];
    expect(masksFromSemanticMap(rows([0, 2, 0], [2, 0, 10]), 3, 2, names)).toEqual([
      { class: 'b', kind: 'mask', geometry: { type: 'mask', width: 3, height: 2, counts: [1, 2, 3] }, attributes: {}, score: null, where: 'value 2' },
      { class: 'c10', kind: 'mask', geometry: { type: 'mask', width: 3, height: 2, counts: [5, 1] }, attributes: {}, score: null, where: 'value 10' },
    ]);
  });

  it('reads 255 as the ignore class when there is one', () => {
    expect(masksFromSemanticMap(rows([255, 1]), 2, 1, ['a'], { ignoreClass: 'void' }).map((o) => [o.class, o.where, o.geometry])).toEqual([
      ['a', 'value 1', { type: 'mask', width: 2, height: 1, counts: [1, 1] }],
      ['void', 'value 255', { type: 'mask', width: 2, height: 1, counts: [0, 1, 1] }],
    ]);
    expect(masksFromSemanticMap(rows([255, 255]), 2, 1, [])).toEqual([]);
  });

  it('names the first pixel of a value with no class, and the default file name', () => {
    const e = refusal(() => masksFromSemanticMap(rows([0, 2, 0], [0, 0, 5]), 3, 2, ['a', 'b']));
    expect([e.file, e.where, e.problem]).toEqual(['class map', 'pixel (2, 1)', 'value 5 has no class: the class list names values 1 to 2']);
    const size = refusal(() => masksFromSemanticMap(new Uint8Array(5), 3, 2, ['a'], { file: 'SegmentationClass/x.png' }));
    expect([size.file, size.where, size.problem]).toEqual(['SegmentationClass/x.png', null, 'has 5 pixels, expected 3×2']);
    expect(masksFromSemanticMap(rows([0, 2]), 2, 1, ['a', 'b'])).toHaveLength(1);
  });
});

describe('masksFromInstanceMap', () => {
  it('gives one mask per instance in numeric order with its class, skipping 0 and 255', () => {
    const inst = rows([10, 0, 2], [255, 2, 10]);
    const cls = rows([1, 0, 2], [0, 2, 1]);
    expect(masksFromInstanceMap(inst, cls, 3, 2, ['a', 'b'])).toEqual([
      // instance 2 at (2, 0) and (1, 1): column-major positions 4 and 3 → counts [3, 2, 1]
      { class: 'b', kind: 'mask', geometry: { type: 'mask', width: 3, height: 2, counts: [3, 2, 1] }, attributes: {}, score: null, where: 'instance 2', instance: 2 },
      // instance 10 at (0, 0) and (2, 1): positions 0 and 5
      { class: 'a', kind: 'mask', geometry: { type: 'mask', width: 3, height: 2, counts: [0, 1, 4, 1] }, attributes: {}, score: null, where: 'instance 10', instance: 10 },
    ]);
  });

  const cases: [string, Uint8Array, Uint8Array, number, number, string | null, string][] = [
    ['maps of the wrong size', rows([1, 1, 1]), rows([1, 1], [1, 1]), 2, 2, null, 'maps have 3 and 4 pixels, expected 2×2'],
    ['a class map of the wrong size', rows([1, 1], [1, 1]), rows([1, 1, 1]), 2, 2, null, 'maps have 4 and 3 pixels, expected 2×2'],
    ['an instance on void', rows([0, 0, 0], [0, 1, 0]), rows([0, 0, 0], [0, 255, 0]), 3, 2, 'pixel (1, 1)', 'instance 1 lies on class value 255 (void)'],
    ['an instance on two classes', rows([1, 0, 0], [0, 0, 1]), rows([1, 0, 0], [0, 0, 2]), 3, 2, 'pixel (2, 1)', 'instance 1 covers class values 1 and 2; an instance has one class'],
    ['an instance on a class with no name', rows([0, 0, 0], [0, 0, 4]), rows([0, 0, 0], [0, 0, 3]), 3, 2, 'pixel (2, 1)', 'instance 4 has class value 3, which has no name (the class list names 1 to 2)'],
  ];
  for (const [what, inst, cls, w, h, where, problem] of cases) {
    it(`refuses ${what}, naming the pixel`, () => {
      const e = refusal(() => masksFromInstanceMap(inst, cls, w, h, ['a', 'b']));
      expect([e.file, e.where, e.problem]).toEqual(['instance map', where, problem]);
    });
  }

  it('accepts an instance on the last named class', () => {
    expect(masksFromInstanceMap(rows([3]), rows([2]), 1, 1, ['a', 'b'], { file: 'o.png' })[0].class).toBe('b');
  });
});

describe('holdSemantic and holdVocImage', () => {
  it('names each class value from the class index, whatever the map’s order', () => {
    const image = { id: 1, file: 'a.png', width: 2, height: 1 };
    const held = holdSemantic({ image, objects: [obj('b', square(0, 0)), obj('a', square(1, 0))] }, new Map([['b', 1], ['a', 0]]));
    expect(held).toEqual([
      { class: 'a', kind: 'mask', geometry: { type: 'mask', width: 2, height: 1, counts: [1, 1] }, attributes: {}, score: null },
      { class: 'b', kind: 'mask', geometry: { type: 'mask', width: 2, height: 1, counts: [0, 1, 1] }, attributes: {}, score: null },
    ]);
  });

  it('gives the XML writer’s reason for what VOC leaves out, and keeps the flags that are set', () => {
    const image = { id: 1, file: 'a.png', width: 2, height: 1 };
    const objects = [
      obj('a', { type: 'keypoints', points: [1, 1, 2] }),
      obj(null, square(0, 0)),
      obj('a', square(1, 0), { truncated: 'yes', difficult: 0, occluded: false, note: 'x' }),
      obj('a', { type: 'box', x: 0, y: 0, w: 1, h: 1 }, { difficult: true, occluded: 1 }),
    ];
    expect(holdVocImage({ image, objects }).map((h) => h.held)).toEqual([
      'keypoints: VOC holds boxes and segmentation only',
      'shapes without a class: a VOC object needs a class name',
      [{ class: 'a', kind: 'mask', geometry: { type: 'mask', width: 2, height: 1, counts: [1, 1] }, attributes: { truncated: true }, score: null }],
      [{ class: 'a', kind: 'box', geometry: { type: 'box', x: 0, y: 0, w: 1, h: 1 }, attributes: { difficult: true, occluded: true }, score: null }],
    ]);
  });

  it('gives the 254th object its mask and the 255th its box, even with void painted', () => {
    const image = { id: 1, file: 'a.png', width: 4, height: 1 };
    // 253 squares at (0, 0) (only the last visible), the 254th at (1, 0), the 255th at (2, 0), void at (3, 0).
    const objects = [...Array.from({ length: 253 }, () => obj('a', square(0, 0))), obj('a', square(1, 0)), obj('a', square(2, 0)), obj('void', square(3, 0))];
    const held = holdVocImage({ image, objects }, { ignoreClass: 'void' }).map((h) => h.held);
    expect(held[0]).toEqual([{ class: 'a', kind: 'box', geometry: { type: 'box', x: 0, y: 0, w: 1, h: 1 }, attributes: {}, score: null }]);
    expect(held[252]).toEqual([{ class: 'a', kind: 'mask', geometry: { type: 'mask', width: 4, height: 1, counts: [0, 1, 3] }, attributes: {}, score: null }]);
    expect(held[253]).toEqual([{ class: 'a', kind: 'mask', geometry: { type: 'mask', width: 4, height: 1, counts: [1, 1, 2] }, attributes: {}, score: null }]);
    expect(held[254]).toEqual([{ class: 'a', kind: 'box', geometry: { type: 'box', x: 2, y: 0, w: 1, h: 1 }, attributes: {}, score: null }]);
    expect(held[255]).toBe('ignore-class regions: VOC holds them only as void (255) in the segmentation PNGs');
  });
});
