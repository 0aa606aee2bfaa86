import { formatObject, golden as goldenText } from '../../test/formats-testkit.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Geometry } from '../api/contract.js';
import { decodeRle, encodeRle } from '../geometry/rle.js';
import { mulberry32 } from '../random.js';
import { compareObjects } from './compare.js';
import {
  fromBase64,
  holdLabelme,
  LABELME_PRECISION_PX,
  labelmeContext,
  labelmeJson,
  locateJsonError,
  maskCrop,
  parseLabelme,
  toBase64,
  type LabelmeFile,
} from './labelme.js';
import { decodePng, encodePng } from './png.js';
import { ExportTally, FormatError, type FormatObject, type FormatRecord } from './types.js';
import { testZlib as zlib } from './test-helpers.js';

const golden = (name: string) => goldenText('labelme', name);

const obj = formatObject;

const TEMPLATES = new Map([['person', ['nose', 'left_eye', 'right_eye']]]);
/** A 3×2 block of pixels, columns 2–4, rows 1–2, in a 200×100 image (column-major counts worked by hand). */
const MASK: Geometry = { type: 'mask', width: 200, height: 100, counts: [201, 2, 98, 2, 98, 2, 19597] };

function goldenRecord(): FormatRecord {
  return {
    image: { id: 7, file: 'street/0001.jpg', width: 200, height: 100 },
    objects: [
      obj('car', { type: 'box', x: 20, y: 10, w: 40, h: 30 }, { attributes: { occluded: true, group_id: 3, note: 'blue', description: 'parked' } }),
      obj('car', { type: 'polygon', points: [10, 10, 50, 10, 30, 40] }, { attributes: { labelme_shape: 'linestrip' } }),
      obj('dog', { type: 'polygon', points: [1.5, 2.25, 8, 2, 5, 9] }),
      obj('dog', MASK),
      obj('person', { type: 'keypoints', points: [100, 50, 2, 90, 40, 1, 0, 0, 0] }),
      obj('person', { type: 'keypoints', points: [20, 20, 2, 30, 10, 2] }),
      obj('landmark', { type: 'keypoints', points: [5, 6, 2] }),
      obj('dog', { type: 'box', x: 0, y: 0, w: 10, h: 10 }, { score: 0.75 }),
      obj('night', { type: 'tag' }),
      obj(null, { type: 'caption', text: 'a street' }),
    ],
  };
}

/** A shape's mask as 0/1 pixels. */
const maskPixels = (b64: string) => {
  const png = decodePng(fromBase64(b64)!, zlib);
  return { width: png.width, height: png.height, on: Array.from(png.data, (v) => (v ? 1 : 0)) };
};

describe('LabelMe files (golden, worked by hand)', () => {
  it('writes the golden file: rectangles, linestrips, polygons, masks, points grouped per object, image flags', () => {
    const tally = new ExportTally();
    const out = JSON.parse(JSON.stringify(labelmeJson(goldenRecord(), '../images/street/0001.jpg', tally, zlib, TEMPLATES))) as LabelmeFile;
    const want = JSON.parse(golden('street-0001.json')) as LabelmeFile;
    // The mask PNGs come from different encoders (ours, and Python's zlib for the golden file): compare pixels.
    const wantMask = want.shapes[3].mask!, outMask = out.shapes[3].mask!;
    expect(maskPixels(outMask)).toEqual(maskPixels(wantMask));
    expect(maskPixels(outMask)).toEqual({ width: 3, height: 2, on: [1, 1, 1, 1, 1, 1] });
    delete want.shapes[3].mask;
    delete out.shapes[3].mask;
    expect(out).toEqual(want);
    expect(Object.fromEntries(tally.notExported)).toEqual({ 'captions (LabelMe holds none)': 1 });
    expect(Object.fromEntries(tally.changed)).toEqual({ "keypoints given a group_id (LabelMe groups an object's points by it)": 2 });
  });

  it('writes masks as LabelMe itself saves them: an 8-bit grey PNG of 0/1', () => {
    const out = labelmeJson(goldenRecord(), 'a.jpg', new ExportTally(), zlib, TEMPLATES);
    const png = decodePng(fromBase64(out.shapes[3].mask!)!, zlib);
    expect([png.channels, png.palette, [...png.data]]).toEqual([1, null, [1, 1, 1, 1, 1, 1]]);
  });

  it('reads the golden file back as what hold says it keeps', () => {
    const rec = goldenRecord();
    const ctx = labelmeContext(rec, TEMPLATES);
    const expected = rec.objects.map((o) => holdLabelme(o, rec.image, ctx)).filter((h) => typeof h !== 'string').flat();
    const parsed = parseLabelme(golden('street-0001.json'), 'street-0001.json', zlib, TEMPLATES);
    expect([parsed.file, parsed.width, parsed.height, parsed.imageDataIgnored]).toEqual(['../images/street/0001.jpg', 200, 100, false]);
    expect(compareObjects('golden', expected, parsed.objects, LABELME_PRECISION_PX)).toEqual([]);
    expect(parsed.objects.map((o) => o.where)).toEqual(['shapes[0]', 'shapes[1]', 'shapes[2]', 'shapes[3]', 'shapes[4]', 'shapes[6]', 'shapes[8]', 'shapes[9]', 'flags.night']);
    expect(parsed.objects[0].attributes).toEqual({ occluded: true, group_id: 3, note: 'blue', description: 'parked' });
    expect(parsed.objects[4].geometry).toEqual({ type: 'keypoints', points: [100, 50, 2, 90, 40, 1, 0, 0, 0], names: ['nose', 'left_eye', 'right_eye'] });
    expect(parsed.objects[4].attributes).toEqual({ group_id: 4 });
  });

  it('reads another tool’s file: null shape_type and description, circles, 1-bit and 0/255 masks, points of a class without a template', () => {
    const parsed = parseLabelme(golden('foreign-labelme.json'), 'foreign-labelme.json', zlib, TEMPLATES);
    expect([parsed.file, parsed.width, parsed.height, parsed.imageDataIgnored]).toEqual(['../img/cat.png', 80, 60, true]);
    const [rect, poly, circle, mask1, mask2, point, tag] = parsed.objects;
    expect(rect).toMatchObject({ class: 'cat', kind: 'box', geometry: { type: 'box', x: 10, y: 5, w: 20, h: 15 }, attributes: {} });
    expect(poly).toMatchObject({ kind: 'polygon', geometry: { type: 'polygon', points: [1, 1, 5, 1, 5, 4] } });
    expect(circle.attributes).toEqual({ group_id: 2, description: 'red', truncated: false, labelme_shape: 'circle' });
    const pts = (circle.geometry as { points: number[] }).points;
    for (let i = 0; i < pts.length; i += 2) expect(Math.hypot(pts[i] - 50, pts[i + 1] - 50)).toBeCloseTo(5, 9);
    // Pixels (6,3), (8,3), (9,3) of the 80×60 image, column-major: 363, 483, 543.
    expect(mask1.geometry).toEqual({ type: 'mask', width: 80, height: 60, counts: [363, 1, 119, 1, 59, 1, 4256] });
    // A 1-bit PNG (PIL mode "1"), all set: columns 0–2, rows 0–1.
    expect(mask2.geometry).toEqual({ type: 'mask', width: 80, height: 60, counts: [0, 2, 58, 2, 58, 2, 4678] });
    expect(point).toMatchObject({ class: 'tail', kind: 'keypoints', geometry: { type: 'keypoints', points: [7, 7, 1] }, attributes: { group_id: 1 }, where: 'shapes[5]' });
    expect(tag).toMatchObject({ class: 'indoor', kind: 'tag', where: 'flags.indoor' });
    expect(parsed.objects).toHaveLength(7);
  });
});

describe('helpers', () => {
  it('base64 round-trips every length and refuses bad characters', () => {
    const rand = mulberry32(5);
    for (let n = 0; n < 40; n++) {
      const bytes = Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
      const b64 = toBase64(bytes);
      expect(b64).toBe(Buffer.from(bytes).toString('base64'));
      expect(fromBase64(b64)).toEqual(bytes);
    }
    expect(fromBase64('ab$d')).toBeNull();
    expect(fromBase64('a')).toBeNull();
  });

  it('crops a mask to a window', () => {
    const m = new Uint8Array(20 * 10);
    for (const [x, y] of [[3, 2], [4, 2], [7, 5], [0, 0]]) m[y * 20 + x] = 1;
    expect(Array.from(maskCrop(encodeRle(m, 20, 10), 3, 2, 5, 4))).toEqual([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  });

  it('locates JSON syntax errors by line and column', () => {
    expect(locateJsonError('{"a": [1, 2]}')).toBeNull();
    expect(locateJsonError('{\n "shapes": [\n  ,\n]}')).toEqual({ line: 3, column: 3, problem: 'unexpected ","' });
    expect(locateJsonError('{\n"a": 1,\n}')).toMatchObject({ line: 2, problem: expect.stringMatching(/trailing commas/) });
    expect(locateJsonError('{"a": tru}')).toMatchObject({ line: 1, column: 7 });
    expect(locateJsonError('{"a": "x\ny"}')).toMatchObject({ line: 1, problem: expect.stringMatching(/control character/) });
    expect(locateJsonError('{"a": 1} x')).toMatchObject({ line: 1, column: 10, problem: expect.stringMatching(/after the end/) });
    expect(locateJsonError('{\n"a":\n')).toMatchObject({ line: 3, problem: 'unexpected the end of the file' });
  });
});

// ---------------------------------------------------------------- round trips over random records

const NAMES = ['person', 'car', 'dog', 'hand'];
const TEMPLATES_RT = new Map([
  ['person', ['nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear']],
  ['hand', ['wrist', 'thumb']],
]);

function randomRecord(rand: () => number): FormatRecord {
  const W = 5 + Math.floor(rand() * 120), H = 5 + Math.floor(rand() * 120);
  const cls = () => (rand() < 0.05 ? null : NAMES[Math.floor(rand() * NAMES.length)]);
  const value = () => {
    const r = rand();
    return r < 0.3 ? `v${Math.floor(rand() * 9)}` : r < 0.5 ? Math.round(rand() * 100) / 10 : r < 0.7 ? rand() < 0.5 : r < 0.8 ? null : r < 0.9 ? '' : Math.floor(rand() * 5);
  };
  const attrs = () => {
    const a: Record<string, string | number | boolean | null> = {};
    const keys = ['occluded', 'truncated', 'note', 'group_id', 'description', 'labelme_shape', 'score_hint'];
    for (const k of keys) if (rand() < 0.25) a[k] = k === 'labelme_shape' ? (rand() < 0.7 ? 'linestrip' : 'circle') : value();
    return a;
  };
  const objects: FormatObject[] = [];
  for (let n = Math.floor(rand() * 9); n > 0; n--) {
    const r = rand();
    const extra = { attributes: attrs(), score: rand() < 0.3 ? rand() : null };
    if (r < 0.2) objects.push(obj(cls(), { type: 'box', x: rand() * W, y: rand() * H, w: rand() * W, h: rand() * H }, extra));
    else if (r < 0.4) objects.push(obj(cls(), { type: 'polygon', points: Array.from({ length: 2 * (3 + Math.floor(rand() * 6)) }, (_, i) => rand() * (i % 2 ? H : W)) }, extra));
    else if (r < 0.55) {
      const m = new Uint8Array(W * H);
      for (let i = 0; i < m.length; i++) m[i] = rand() < 0.3 ? 1 : 0;
      if (rand() < 0.1) m.fill(0);
      objects.push(obj(cls(), { type: 'mask', ...encodeRle(m, W, H) }, extra));
    } else if (r < 0.85) {
      const c = ['person', 'hand', 'landmark', null][Math.floor(rand() * 4)];
      const k = c === 'landmark' ? 1 : 1 + Math.floor(rand() * 6);
      const points: number[] = [];
      for (let i = 0; i < k; i++) points.push(rand() * W, rand() * H, [0, 1, 2, 2][Math.floor(rand() * 4)]);
      objects.push(obj(c, { type: 'keypoints', points }, extra));
    } else if (r < 0.95) objects.push(obj(cls() ?? 'sunny', { type: 'tag' }, rand() < 0.2 ? extra : {}));
    else objects.push(obj(null, { type: 'caption', text: 'x' }));
  }
  return { image: { id: 1, file: 'a.jpg', width: W, height: H }, objects };
}

describe('LabelMe round trips (property: parse(write(r)) equals hold(r))', () => {
  it('500 random images of every kind, with attributes, scores and several keypoint objects per class', () => {
    const rand = mulberry32(99);
    let written = 0;
    for (let n = 0; n < 500; n++) {
      const rec = randomRecord(rand);
      const tally = new ExportTally();
      const text = JSON.stringify(labelmeJson(rec, 'a.jpg', tally, zlib, TEMPLATES_RT), null, 2);
      const ctx = labelmeContext(rec, TEMPLATES_RT);
      const held = rec.objects.map((o) => holdLabelme(o, rec.image, ctx));
      const expected = held.filter((h) => typeof h !== 'string').flat();
      const parsed = parseLabelme(text, 'a.json', zlib, TEMPLATES_RT);
      expect(compareObjects(`image ${n}`, expected, parsed.objects, LABELME_PRECISION_PX)).toEqual([]);
      const skipped = [...tally.notExported.values()].reduce((a, b) => a + b, 0);
      expect(skipped).toBe(held.filter((h) => typeof h === 'string').length);
      written += expected.length;
    }
    expect(written).toBeGreaterThan(1000);
  });

  it('keeps a mask’s pixels exactly', () => {
    const rand = mulberry32(4);
    for (let n = 0; n < 50; n++) {
      const W = 1 + Math.floor(rand() * 60), H = 1 + Math.floor(rand() * 60);
      const m = Uint8Array.from({ length: W * H }, () => (rand() < 0.4 ? 1 : 0));
      m[Math.floor(rand() * m.length)] = 1;
      const rec: FormatRecord = { image: { id: 1, file: 'a.png', width: W, height: H }, objects: [obj('dog', { type: 'mask', ...encodeRle(m, W, H) })] };
      const parsed = parseLabelme(JSON.stringify(labelmeJson(rec, 'a.png', new ExportTally(), zlib)), 'a.json', zlib, new Map());
      const g = parsed.objects[0].geometry as Extract<Geometry, { type: 'mask' }>;
      expect(Array.from(decodeRle(g))).toEqual(Array.from(m));
    }
  });
});

// ---------------------------------------------------------------- bad input

const file = (shapes: unknown[], more: Record<string, unknown> = {}) =>
  JSON.stringify({ version: '5.1.1', flags: {}, shapes, imagePath: 'a.jpg', imageData: null, imageHeight: 10, imageWidth: 20, ...more });
const shape = (s: Record<string, unknown>) => ({ label: 'cat', group_id: null, description: '', flags: {}, ...s });
const PNG_3x2 = 'iVBORw0KGgoAAAANSUhEUgAAAAMAAAACCAAAAAC4HznGAAAADklEQVR4nGNgZGRkAGIAACAAB7nmG7UAAAAASUVORK5CYII=';
const PNG_RGB_2x2 = 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg==';

describe('parseLabelme: bad input names the file and the shape', () => {
  const cases: [string, string, string | null, RegExp][] = [
    ['malformed JSON', '{\n  "shapes": [\n    ,\n  ]\n}', 'line 3, column 5', /not valid JSON: unexpected ","/],
    ['a file that is not an object', '[1, 2]', null, /JSON object/],
    ['no imagePath', file([], { imagePath: undefined }), 'imagePath', /imagePath is missing/],
    ['imageData without imagePath', file([], { imagePath: '', imageData: 'iVBORw0KGgo=' }), 'imagePath', /embedded \(imageData\).*does not read imageData/],
    ['a bad imageWidth', file([], { imageWidth: 12.5 }), 'imageWidth', /whole number/],
    ['no shapes', file([], { shapes: undefined }), 'shapes', /no "shapes"/],
    ['a shape that is not an object', file([3]), 'shapes[0]', /JSON object/],
    ['a shape without a label', file([shape({ label: '', points: [[0, 0], [1, 1]], shape_type: 'rectangle' })]), 'shapes[0]', /"label"/],
    ['an unknown shape_type', file([shape({ points: [[0, 0]], shape_type: 'rotation' })]), 'shapes[0]', /unknown shape_type "rotation"/],
    ['a rectangle of 3 points', file([shape({ points: [[0, 0], [1, 1], [2, 2]], shape_type: 'rectangle' })]), 'shapes[0]', /a rectangle has 2 points, got 3/],
    ['a polygon of 2 points', file([shape({ points: [[0, 0], [1, 1]], shape_type: 'polygon' })]), 'shapes[0]', /at least 3 points, got 2/],
    ['a point of 2 points', file([shape({ points: [[0, 0], [1, 1]], shape_type: 'point' })]), 'shapes[0]', /a point has 1 point, got 2/],
    ['a 2-point linestrip', file([shape({ points: [[0, 0], [1, 1]], shape_type: 'linestrip' })]), 'shapes[0]', /linestrip of 2 points cannot be imported/],
    ['a line', file([shape({ points: [[0, 0], [1, 1]], shape_type: 'line' })]), 'shapes[0]', /2-point line cannot be imported/],
    ['a point that is not [x, y]', file([shape({ points: [[0, 'a']], shape_type: 'point' })]), 'shapes[0]', /points\[0\] must be \[x, y\]/],
    ['a NaN-like point', file([shape({ points: [[0, 1, 2]], shape_type: 'point' })]), 'shapes[0]', /points\[0\]/],
    ['a non-integer group_id', file([shape({ points: [[0, 0]], shape_type: 'point', group_id: 1.5 })]), 'shapes[0]', /group_id/],
    ['flags that are not booleans', file([shape({ points: [[0, 0]], shape_type: 'point', flags: { a: 1 } })]), 'shapes[0]', /flags.a must be true or false/],
    ['a mask without its PNG', file([shape({ points: [[0, 0], [2, 1]], shape_type: 'mask' })]), 'shapes[0]', /needs "mask"/],
    ['a mask that is not base64', file([shape({ points: [[0, 0], [2, 1]], shape_type: 'mask', mask: '@@@@' })]), 'shapes[0]', /not valid base64/],
    ['a mask that is not a PNG', file([shape({ points: [[0, 0], [2, 1]], shape_type: 'mask', mask: 'aGVsbG8gd29ybGQ=' })]), 'shapes[0]', /not a PNG that can be read: .*signature/],
    ['a mask whose size differs from its box', file([shape({ points: [[0, 0], [3, 1]], shape_type: 'mask', mask: PNG_3x2 })]), 'shapes[0]', /mask PNG is 3×2 but its box \(0, 0\)–\(3, 1\) is 4×2/],
    ['an RGB mask', file([shape({ points: [[0, 0], [1, 1]], shape_type: 'mask', mask: PNG_RGB_2x2 })]), 'shapes[0]', /3 channels/],
    ['a mask outside the image', file([shape({ points: [[19, 9], [21, 10]], shape_type: 'mask', mask: PNG_3x2 })]), 'shapes[0]', /outside the 20×10 image/],
    ['a mask with no image size', file([shape({ points: [[0, 0], [2, 1]], shape_type: 'mask', mask: PNG_3x2 })], { imageWidth: null }), 'shapes[0]', /imageWidth and imageHeight/],
    ['a keypoint not in the template', file([shape({ label: 'tail', points: [[1, 1]], shape_type: 'point', description: 'person' })]), 'shapes[0]', /"tail" is not a keypoint of class "person" \(its keypoints: nose, left_eye, right_eye\)/],
    ['two points of one name with no group_id', file([shape({ label: 'nose', points: [[1, 1]], shape_type: 'point', description: 'person' }), shape({ label: 'nose', points: [[2, 2]], shape_type: 'point', description: 'person' })]), 'shapes[1]', /second "nose" point.*group_id/],
    ['a non-boolean image flag', file([], { flags: { night: 'yes' } }), 'flags.night', /true or false/],
    ['attributes that are not scalars', file([shape({ points: [[0, 0]], shape_type: 'point', attributes: { a: [1] } })]), 'shapes[0]', /attributes.a must be/],
    ['a score that is not a number', file([shape({ points: [[0, 0]], shape_type: 'point', score: 'high' })]), 'shapes[0]', /"score" must be a number/],
  ];
  for (const [what, text, where, message] of cases) {
    it(`refuses ${what}`, () => {
      let err: unknown = null;
      try {
        parseLabelme(text, 'ann/a.json', zlib, TEMPLATES);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FormatError);
      const fe = err as FormatError;
      expect(fe.file).toBe('ann/a.json');
      expect(fe.where).toBe(where);
      expect(fe.problem).toMatch(message);
    });
  }

  it('does not export keypoints whose template repeats a name, and says so', () => {
    const rec: FormatRecord = { image: { id: 1, file: 'a.png', width: 9, height: 9 }, objects: [obj('hand', { type: 'keypoints', points: [1, 1, 2, 2, 2, 2] })] };
    const tally = new ExportTally();
    expect(labelmeJson(rec, 'a.png', tally, zlib, new Map([['hand', ['tip', 'tip']]])).shapes).toEqual([]);
    expect([...tally.notExported.keys()]).toEqual(['keypoints whose class template gives two points one name (LabelMe finds points by name)']);
  });

  it('accepts imageData beside an imagePath, and says it was ignored', () => {
    const p = parseLabelme(file([], { imageData: 'iVBORw0KGgo=' }), 'a.json', zlib, TEMPLATES);
    expect([p.file, p.imageDataIgnored]).toEqual(['a.jpg', true]);
  });

  it('writes a well-formed PNG for masks that touch the image edges', () => {
    const m = new Uint8Array(4 * 3).fill(1);
    const rec: FormatRecord = { image: { id: 1, file: 'a.png', width: 4, height: 3 }, objects: [obj('dog', { type: 'mask', ...encodeRle(m, 4, 3) })] };
    const s = labelmeJson(rec, 'a.png', new ExportTally(), zlib).shapes[0];
    expect(s.points).toEqual([[0, 0], [3, 2]]);
    expect(decodePng(fromBase64(s.mask!)!, zlib).width).toBe(4);
    void encodePng;
  });
});
