/**
 * LabelMe cases, one behaviour each (issue 13): what the writer puts in each field of a LabelMe 5 file
 * (labelme/label_file.py: {version, flags, shapes, imagePath, imageData, imageHeight, imageWidth}; shape =
 * {label, points, group_id, description, shape_type, flags, mask?}), what holdLabelme says it keeps or why not,
 * and what the reader makes of each field, with the file and shape named when it refuses one.
 */
import { describe, expect, it } from 'vitest';
import { formatObject as obj, refusal } from '../../test/formats-testkit.js';
import type { Geometry } from '../api/contract.js';
import { encodeRle } from '../geometry/rle.js';
import {
  fromBase64,
  holdLabelme,
  LABELME_MASK_VERSION,
  LABELME_VERSION,
  labelmeContext,
  labelmeJson,
  locateJsonError,
  maskCrop,
  parseLabelme,
  toBase64,
} from './labelme.js';
import { encodePng } from './png.js';
import { ExportTally, type FormatObject, type FormatRecord } from './types.js';
import { testZlib as zlib } from './test-helpers.js';

const image = { id: 1, file: 'a.jpg', width: 20, height: 10 };
const rec = (objects: FormatObject[]): FormatRecord => ({ image, objects });
const NO_TEMPLATES = new Map<string, readonly string[]>();

/** A row-major 0/1 mask of W×H with the given [x, y] pixels set, as an RLE geometry. */
function maskOf(W: number, H: number, on: [number, number][]): Geometry {
  const m = new Uint8Array(W * H);
  for (const [x, y] of on) m[y * W + x] = 1;
  return { type: 'mask', ...encodeRle(m, W, H) };
}

/** A LabelMe file's text around the given shapes (20×10 image unless `more` says otherwise). */
const file = (shapes: unknown[], more: Record<string, unknown> = {}) =>
  JSON.stringify({ version: '5.1.1', flags: {}, shapes, imagePath: 'a.jpg', imageData: null, imageHeight: 10, imageWidth: 20, ...more });
const shape = (s: Record<string, unknown>) => ({ label: 'cat', group_id: null, description: '', flags: {}, ...s });
const parse = (text: string, templates: ReadonlyMap<string, readonly string[]> = NO_TEMPLATES) => parseLabelme(text, 'ann/a.json', zlib, templates);
const refused = (text: string, templates: ReadonlyMap<string, readonly string[]> = NO_TEMPLATES) => {
  const e = refusal(() => parse(text, templates));
  expect(e.file).toBe('ann/a.json');
  return [e.where, e.problem];
};
/** A grey PNG of w×h with the given row-major bytes, base64 as in a LabelMe `mask`. */
const png64 = (w: number, h: number, data: number[]) => toBase64(encodePng({ width: w, height: h, channels: 1, data: Uint8Array.from(data) }, zlib));

// ---------------------------------------------------------------- helpers

describe('maskCrop: only the window, at its place', () => {
  it('keeps pixels inside the window and none from the columns or rows just outside it', () => {
    // 6×4 image, window columns 2–3, rows 1–2. Inside: (2,1) and (3,2). Just outside: (4,1) right, (1,2) left,
    // (2,3) below, (3,0) above.
    const m = maskOf(6, 4, [[2, 1], [3, 2], [4, 1], [1, 2], [2, 3], [3, 0]]) as Extract<Geometry, { type: 'mask' }>;
    expect(Array.from(maskCrop(m, 2, 1, 2, 2))).toEqual([1, 0, 0, 1]);
  });

  it('a run of several pixels down a column sets each of them', () => {
    // Column 1, rows 0–2 of a 3×3 image: one run of 3 in column-major order.
    const m = maskOf(3, 3, [[1, 0], [1, 1], [1, 2]]) as Extract<Geometry, { type: 'mask' }>;
    expect(Array.from(maskCrop(m, 0, 0, 3, 3))).toEqual([0, 1, 0, 0, 1, 0, 0, 1, 0]);
  });
});

describe('base64', () => {
  it('reads text with line breaks, spaces and without its padding', () => {
    // "hi!" = aGkh, "hi" = aGk=
    expect(Array.from(fromBase64('aG\nkh')!)).toEqual([104, 105, 33]);
    expect(Array.from(fromBase64(' aGk= ')!)).toEqual([104, 105]);
    expect(Array.from(fromBase64('aGk')!)).toEqual([104, 105]);
    expect(Array.from(fromBase64('aA')!)).toEqual([104]);
    expect(Array.from(fromBase64('')!)).toEqual([]);
  });

  it('refuses characters outside the alphabet, non-ASCII ones included, and impossible lengths', () => {
    expect(fromBase64('aGk-')).toBeNull();
    expect(fromBase64('aGké')).toBeNull();
    expect(fromBase64('aGkhY')).toBeNull();
    expect(fromBase64('aGk\u0080')).toBeNull();
    // Padding belongs at the end only.
    expect(fromBase64('aG=k')).toBeNull();
  });

  it('writes the alphabet’s last characters and padding', () => {
    expect(toBase64(Uint8Array.from([0xfb, 0xff, 0xbf]))).toBe('+/+/');
    expect(toBase64(Uint8Array.from([0xff]))).toBe('/w==');
    expect(toBase64(Uint8Array.from([0xff, 0xff]))).toBe('//8=');
  });
});

// ---------------------------------------------------------------- what LabelMe keeps

describe('labelmeContext', () => {
  it('gives each keypoints object that would merge with another of its class a group_id no shape of the image uses', () => {
    const a = obj('person', { type: 'keypoints', points: [1, 1, 2] });
    const b = obj('person', { type: 'keypoints', points: [2, 2, 2] });
    const box = obj('car', { type: 'box', x: 0, y: 0, w: 1, h: 1 }, { attributes: { group_id: 6 } });
    const ctx = labelmeContext(rec([a, box, b]), NO_TEMPLATES);
    expect([...ctx.groupIds]).toEqual([[a.id, 7], [b.id, 8]]);
  });

  it('leaves a lone keypoints object of its class, and objects of other classes, as they are', () => {
    const a = obj('person', { type: 'keypoints', points: [1, 1, 2] });
    const b = obj('hand', { type: 'keypoints', points: [2, 2, 2] });
    const c = obj(null, { type: 'keypoints', points: [2, 2, 2] });
    const d = obj(null, { type: 'keypoints', points: [3, 3, 2] });
    expect(labelmeContext(rec([a, b, c, d]), NO_TEMPLATES).groupIds.size).toBe(0);
  });

  it('renumbers the second object of a class that repeats a group_id, not the first, nor one of another class', () => {
    const a = obj('person', { type: 'keypoints', points: [1, 1, 2] }, { attributes: { group_id: 2 } });
    const b = obj('person', { type: 'keypoints', points: [2, 2, 2] }, { attributes: { group_id: 2 } });
    const c = obj('hand', { type: 'keypoints', points: [2, 2, 2] }, { attributes: { group_id: 2 } });
    const d = obj('person', { type: 'keypoints', points: [3, 3, 2] }, { attributes: { group_id: 3 } });
    expect([...labelmeContext(rec([a, b, c, d]), NO_TEMPLATES).groupIds]).toEqual([[b.id, 4]]);
  });

  it('numbers each further repeat of a group_id on from the last one given', () => {
    const kps = [1, 2, 3].map((x) => obj('person', { type: 'keypoints', points: [x, x, 2] }, { attributes: { group_id: 2 } }));
    expect([...labelmeContext(rec(kps), NO_TEMPLATES).groupIds]).toEqual([[kps[1].id, 3], [kps[2].id, 4]]);
  });

  it('leaves an object without a group_id alone when the other of its class has one (they cannot merge)', () => {
    const a = obj('person', { type: 'keypoints', points: [1, 1, 2] }, { attributes: { group_id: 2 } });
    const b = obj('person', { type: 'keypoints', points: [2, 2, 2] });
    expect(labelmeContext(rec([a, b]), NO_TEMPLATES).groupIds.size).toBe(0);
  });

  it('starts new numbers at 1 when no shape has a whole-number group_id, and counts a fractional one as none', () => {
    const a = obj('person', { type: 'keypoints', points: [1, 1, 2] }, { attributes: { group_id: 2.5 } });
    const b = obj('person', { type: 'keypoints', points: [2, 2, 2] }, { attributes: { group_id: 'x' } });
    expect([...labelmeContext(rec([a, b]), NO_TEMPLATES).groupIds]).toEqual([[a.id, 1], [b.id, 2]]);
  });

  it('marks tags that repeat an earlier tag of their class, ignoring other kinds and tags without a class', () => {
    const box = obj('night', { type: 'box', x: 0, y: 0, w: 1, h: 1 });
    const t1 = obj('night', { type: 'tag' });
    const t2 = obj('night', { type: 'tag' });
    const n1 = obj(null, { type: 'tag' });
    const n2 = obj(null, { type: 'tag' });
    const t3 = obj('rain', { type: 'tag' });
    expect([...labelmeContext(rec([box, t1, t2, n1, n2, t3]), NO_TEMPLATES).duplicateTags]).toEqual([t2.id]);
  });
});

describe('holdLabelme: what is kept, and why the rest is not', () => {
  const hold = (o: FormatObject, others: FormatObject[] = [], templates: ReadonlyMap<string, readonly string[]> = NO_TEMPLATES) => {
    const tally = new ExportTally();
    const r = rec([...others, o]);
    const held = holdLabelme(o, r.image, labelmeContext(r, templates), tally);
    return { held, changed: Object.fromEntries(tally.changed) };
  };

  it('refuses captions, classless shapes and tags, and repeated tags, with their reasons', () => {
    expect(hold(obj(null, { type: 'caption', text: 'x' })).held).toBe('captions (LabelMe holds none)');
    expect(hold(obj(null, { type: 'tag' })).held).toBe('tags without a class');
    expect(hold(obj(null, { type: 'box', x: 0, y: 0, w: 1, h: 1 })).held).toBe('shapes without a class (a LabelMe shape needs a label)');
    const first = obj('night', { type: 'tag' });
    const second = obj('night', { type: 'tag' });
    const r = rec([first, second]);
    const ctx = labelmeContext(r, NO_TEMPLATES);
    expect(holdLabelme(second, r.image, ctx)).toBe('repeated tags of one class (LabelMe image flags hold each name once)');
    expect(holdLabelme(first, r.image, ctx)).toEqual([{ class: 'night', kind: 'tag', geometry: { type: 'tag' }, attributes: {}, score: null }]);
  });

  it('keeps a tag as a bare flag, and counts the attributes or score it loses', () => {
    const lost = 'tag attributes and scores not kept (LabelMe image flags are true or false)';
    expect(hold(obj('night', { type: 'tag' })).changed).toEqual({});
    const scored = hold(obj('night', { type: 'tag' }, { score: 0.5 }));
    expect(scored.held).toEqual([{ class: 'night', kind: 'tag', geometry: { type: 'tag' }, attributes: {}, score: null }]);
    expect(scored.changed).toEqual({ [lost]: 1 });
    expect(hold(obj('night', { type: 'tag' }, { attributes: { by: 'me' } })).changed).toEqual({ [lost]: 1 });
  });

  it('keeps boxes and polygons whole, attributes and score included', () => {
    const g: Geometry = { type: 'box', x: 1, y: 2, w: 3, h: 4 };
    expect(hold(obj('car', g, { attributes: { a: 1 }, score: 0.25 })).held).toEqual([{ class: 'car', kind: 'box', geometry: g, attributes: { a: 1 }, score: 0.25 }]);
  });

  it('refuses an empty mask and one of another size than its image, in either direction', () => {
    expect(hold(obj('dog', maskOf(20, 10, []))).held).toBe('empty masks (no box to crop)');
    expect(hold(obj('dog', maskOf(21, 10, [[1, 1]]))).held).toBe('masks of another size than their image');
    expect(hold(obj('dog', maskOf(20, 11, [[1, 1]]))).held).toBe('masks of another size than their image');
    const m = maskOf(20, 10, [[1, 1]]);
    expect(hold(obj('dog', m)).held).toEqual([{ class: 'dog', kind: 'mask', geometry: m, attributes: {}, score: null }]);
  });

  it('keypoints without a template: one labeled point is a plain point, several are refused, none is refused', () => {
    expect(hold(obj('nose', { type: 'keypoints', points: [1, 2, 1] })).held).toEqual([
      { class: 'nose', kind: 'keypoints', geometry: { type: 'keypoints', points: [1, 2, 1] }, attributes: {}, score: null },
    ]);
    expect(hold(obj('nose', { type: 'keypoints', points: [1, 2, 2, 3, 4, 0] })).held).toBe(
      'keypoints of several points whose class has no keypoint template (LabelMe names each point)',
    );
    expect(hold(obj('nose', { type: 'keypoints', points: [1, 2, 0] })).held).toBe('keypoints with no labeled point');
  });

  it('writes a visibility other than 1 or 2 as visible, and says so', () => {
    const r = hold(obj('nose', { type: 'keypoints', points: [1, 2, 3] }));
    expect((r.held as { geometry: Geometry }[])[0].geometry).toEqual({ type: 'keypoints', points: [1, 2, 2] });
    expect(r.changed).toEqual({ 'keypoint visibility other than 0, 1, 2 written as visible': 1 });
    expect(hold(obj('nose', { type: 'keypoints', points: [1, 2, 2] })).changed).toEqual({});
  });

  it('keypoints with a template: named points, the ones past the template dropped and counted', () => {
    const T = new Map([['hand', ['wrist', 'thumb']]]);
    const r = hold(obj('hand', { type: 'keypoints', points: [1, 1, 1, 0, 0, 0, 5, 5, 2] }), [], T);
    expect(r.held).toEqual([{ class: 'hand', kind: 'keypoints', geometry: { type: 'keypoints', points: [1, 1, 1, 0, 0, 0], names: ['wrist', 'thumb'] }, attributes: {}, score: null }]);
    expect(r.changed).toEqual({ "keypoints past their class template's points dropped": 1 });
    // An unlabeled point past the template loses nothing.
    expect(hold(obj('hand', { type: 'keypoints', points: [1, 1, 2, 0, 0, 0, 5, 5, 0] }), [], T).changed).toEqual({});
    // Only points past the template labeled: nothing left to write.
    expect(hold(obj('hand', { type: 'keypoints', points: [0, 0, 0, 0, 0, 0, 5, 5, 2] }), [], T).held).toBe('keypoints with no labeled point');
    // Fewer points than the template: the rest unlabeled.
    expect(hold(obj('hand', { type: 'keypoints', points: [3, 4, 2] }), [], T).held).toEqual([
      { class: 'hand', kind: 'keypoints', geometry: { type: 'keypoints', points: [3, 4, 2, 0, 0, 0], names: ['wrist', 'thumb'] }, attributes: {}, score: null },
    ]);
  });

  it('keeps a labeled keypoint at the origin', () => {
    const T = new Map([['hand', ['wrist']]]);
    expect(hold(obj('hand', { type: 'keypoints', points: [0, 0, 2] }), [], T).held).toEqual([
      { class: 'hand', kind: 'keypoints', geometry: { type: 'keypoints', points: [0, 0, 2], names: ['wrist'] }, attributes: {}, score: null },
    ]);
  });

  it('refuses keypoints whose template names two points alike', () => {
    expect(hold(obj('hand', { type: 'keypoints', points: [1, 1, 2] }), [], new Map([['hand', ['tip', 'tip']]])).held).toBe(
      'keypoints whose class template gives two points one name (LabelMe finds points by name)',
    );
  });

  it('says when it gives keypoints a group_id, and when it changes one', () => {
    const T = new Map([['hand', ['wrist']]]);
    const a = obj('hand', { type: 'keypoints', points: [1, 1, 2] });
    const b = obj('hand', { type: 'keypoints', points: [2, 2, 2] });
    const r = hold(b, [a], T);
    expect((r.held as { attributes: object }[])[0].attributes).toEqual({ group_id: 2 });
    expect(r.changed).toEqual({ "keypoints given a group_id (LabelMe groups an object's points by it)": 1 });
    const c = obj('hand', { type: 'keypoints', points: [1, 1, 2] }, { attributes: { group_id: 5 } });
    const d = obj('hand', { type: 'keypoints', points: [2, 2, 2] }, { attributes: { group_id: 5, note: 'x' } });
    const r2 = hold(d, [c], T);
    expect((r2.held as { attributes: object }[])[0].attributes).toEqual({ group_id: 6, note: 'x' });
    expect(r2.changed).toEqual({ 'keypoint group_id changed (two keypoint objects of one class shared it)': 1 });
    // The object itself is not changed.
    expect(d.attributes).toEqual({ group_id: 5, note: 'x' });
  });

  it('counts nothing when no tally is given', () => {
    const r = rec([obj('nose', { type: 'keypoints', points: [1, 2, 3] })]);
    expect(holdLabelme(r.objects[0], r.image, labelmeContext(r, NO_TEMPLATES))).toEqual([
      { class: 'nose', kind: 'keypoints', geometry: { type: 'keypoints', points: [1, 2, 2] }, attributes: {}, score: null },
    ]);
  });
});

// ---------------------------------------------------------------- writer

describe('labelmeJson: each field of the file', () => {
  it('writes the file’s own fields: version, image size, path, no embedded image', () => {
    const out = labelmeJson(rec([]), '../img/a.jpg', new ExportTally(), zlib);
    expect(out).toEqual({ version: LABELME_VERSION, flags: {}, shapes: [], imagePath: '../img/a.jpg', imageData: null, imageHeight: 10, imageWidth: 20 });
    expect(LABELME_VERSION).toBe('5.1.1');
  });

  it('says LabelMe 5.4.1 when a mask is in the file (5.1 has no mask shapes)', () => {
    const out = labelmeJson(rec([obj('dog', maskOf(20, 10, [[3, 2], [4, 2], [4, 3]]))]), 'a.jpg', new ExportTally(), zlib);
    expect([out.version, LABELME_MASK_VERSION]).toEqual(['5.4.1', '5.4.1']);
    // Its box: columns 3–4, rows 2–3, corners inclusive; the crop is 2×2.
    expect(out.shapes[0]).toMatchObject({ label: 'dog', shape_type: 'mask', points: [[3, 2], [4, 3]], group_id: null, description: '', flags: {} });
    expect(out.shapes[0].mask).toBe(png64(2, 2, [1, 1, 0, 1]));
  });

  it('a rectangle: two corners; whole group_id, description, true/false flags in their fields; the rest in attributes', () => {
    const tally = new ExportTally();
    const box = obj('car', { type: 'box', x: 1, y: 2, w: 3, h: 4 }, { attributes: { group_id: 7, description: 'red', truncated: false, note: 'n' }, score: 0.5 });
    expect(labelmeJson(rec([box]), 'a.jpg', tally, zlib).shapes).toEqual([
      { label: 'car', points: [[1, 2], [4, 6]], group_id: 7, description: 'red', shape_type: 'rectangle', flags: { truncated: false }, attributes: { note: 'n' }, score: 0.5 },
    ]);
    expect([tally.notExported.size, tally.changed.size]).toEqual([0, 0]);
  });

  it('says LabelMe 5.1.1 for shapes other than masks', () => {
    const out = labelmeJson(rec([obj('car', { type: 'box', x: 1, y: 2, w: 3, h: 4 }), obj('night', { type: 'tag' })]), 'a.jpg', new ExportTally(), zlib);
    expect([out.version, out.shapes.length]).toEqual(['5.1.1', 1]);
  });

  it('keeps a group_id that is not a whole number and an empty or non-text description in attributes', () => {
    const a = obj('car', { type: 'box', x: 0, y: 0, w: 1, h: 1 }, { attributes: { group_id: 2.5, description: '' } });
    const b = obj('car', { type: 'box', x: 0, y: 0, w: 1, h: 1 }, { attributes: { group_id: 'g', description: 3 } });
    const [sa, sb] = labelmeJson(rec([a, b]), 'a.jpg', new ExportTally(), zlib).shapes;
    expect(sa).toMatchObject({ group_id: null, description: '', attributes: { group_id: 2.5, description: '' } });
    expect(sb).toMatchObject({ group_id: null, description: '', attributes: { group_id: 'g', description: 3 } });
    expect('score' in sa).toBe(false);
  });

  it('polygons: a linestrip when labelme_shape says so, else a polygon that keeps any other labelme_shape', () => {
    const pts = [0, 0, 4, 0, 4, 3];
    const shapes = labelmeJson(
      rec([
        obj('a', { type: 'polygon', points: pts }, { attributes: { labelme_shape: 'linestrip', k: 1 } }),
        obj('b', { type: 'polygon', points: pts }),
        obj('c', { type: 'polygon', points: pts }, { attributes: { labelme_shape: 'circle' } }),
      ]),
      'a.jpg',
      new ExportTally(),
      zlib,
    ).shapes;
    const corners = [[0, 0], [4, 0], [4, 3]];
    expect(shapes).toEqual([
      { label: 'a', points: corners, group_id: null, description: '', shape_type: 'linestrip', flags: {}, attributes: { k: 1 } },
      { label: 'b', points: corners, group_id: null, description: '', shape_type: 'polygon', flags: {} },
      { label: 'c', points: corners, group_id: null, description: '', shape_type: 'polygon', flags: {}, attributes: { labelme_shape: 'circle' } },
    ]);
  });

  it('true/false attributes of polygons and masks are flags too', () => {
    const shapes = labelmeJson(
      rec([obj('a', { type: 'polygon', points: [0, 0, 4, 0, 4, 3] }, { attributes: { closed: true } }), obj('dog', maskOf(20, 10, [[1, 1]]), { attributes: { crowd: false } })]),
      'a.jpg',
      new ExportTally(),
      zlib,
    ).shapes;
    expect(shapes.map((s) => [s.flags, s.attributes])).toEqual([[{ closed: true }, undefined], [{ crowd: false }, undefined]]);
  });

  it('a lone point of a class without a template: occluded flag, true/false attributes kept as attributes', () => {
    const shapes = labelmeJson(
      rec([
        obj('tip', { type: 'keypoints', points: [3, 4, 1] }, { attributes: { visible: true, description: 'left' }, score: 0.5 }),
        obj('tip', { type: 'keypoints', points: [5, 6, 2] }),
      ]),
      'a.jpg',
      new ExportTally(),
      zlib,
    ).shapes;
    expect(shapes).toEqual([
      { label: 'tip', points: [[3, 4]], group_id: null, description: 'left', shape_type: 'point', flags: { occluded: true }, attributes: { visible: true }, score: 0.5 },
      { label: 'tip', points: [[5, 6]], group_id: null, description: '', shape_type: 'point', flags: {} },
    ]);
  });

  it('a lone point whose description names a keypoints class keeps it in attributes (else it would read back as that class’s keypoint)', () => {
    const T = new Map([['person', ['nose']]]);
    const shapes = labelmeJson(rec([obj('tip', { type: 'keypoints', points: [3, 4, 2] }, { attributes: { description: 'person' } })]), 'a.jpg', new ExportTally(), zlib, T).shapes;
    expect(shapes).toEqual([{ label: 'tip', points: [[3, 4]], group_id: null, description: '', shape_type: 'point', flags: {}, attributes: { description: 'person' } }]);
    expect(parse(file(shapes), T).objects[0]).toMatchObject({ class: 'tip', attributes: { description: 'person' } });
  });

  it('keypoints of a template: a point per labeled keypoint, named, the class as description, other attributes on the first, the score on each', () => {
    const T = new Map([['person', ['nose', 'eye', 'ear']]]);
    const kp = obj('person', { type: 'keypoints', points: [1, 1, 2, 0, 0, 0, 3, 3, 1] }, { attributes: { group_id: 'x', color: 'red', description: 'd', seen: true }, score: 0.9 });
    const shapes = labelmeJson(rec([kp]), 'a.jpg', new ExportTally(), zlib, T).shapes;
    expect(shapes).toEqual([
      { label: 'nose', points: [[1, 1]], group_id: null, description: 'person', shape_type: 'point', flags: {}, attributes: { color: 'red', description: 'd', seen: true, group_id: 'x' }, score: 0.9 },
      { label: 'ear', points: [[3, 3]], group_id: null, description: 'person', shape_type: 'point', flags: { occluded: true }, score: 0.9 },
    ]);
  });

  it('keypoints of a template with a whole group_id: every point carries it', () => {
    const T = new Map([['person', ['nose', 'eye']]]);
    const kp = obj('person', { type: 'keypoints', points: [1, 1, 2, 2, 2, 2] }, { attributes: { group_id: 4 } });
    const shapes = labelmeJson(rec([kp]), 'a.jpg', new ExportTally(), zlib, T).shapes;
    expect(shapes.map((s) => [s.label, s.group_id, s.attributes])).toEqual([['nose', 4, undefined], ['eye', 4, undefined]]);
  });

  it('keypoints of a template with no attributes: no "attributes" in the file', () => {
    const T = new Map([['person', ['nose']]]);
    const shapes = labelmeJson(rec([obj('person', { type: 'keypoints', points: [1, 1, 2] })]), 'a.jpg', new ExportTally(), zlib, T).shapes;
    expect(JSON.parse(JSON.stringify(shapes))).toEqual([{ label: 'nose', points: [[1, 1]], group_id: null, description: 'person', shape_type: 'point', flags: {} }]);
  });

  it('tags become the image’s flags, each class once; what is not exported is counted by reason', () => {
    const tally = new ExportTally();
    const out = labelmeJson(
      rec([obj('sunny', { type: 'tag' }), obj('sunny', { type: 'tag' }), obj('night', { type: 'tag' }), obj(null, { type: 'caption', text: 'x' }), obj(null, { type: 'box', x: 0, y: 0, w: 1, h: 1 })]),
      'a.jpg',
      tally,
      zlib,
    );
    expect([out.flags, out.shapes]).toEqual([{ sunny: true, night: true }, []]);
    expect(Object.fromEntries(tally.notExported)).toEqual({
      'repeated tags of one class (LabelMe image flags hold each name once)': 1,
      'captions (LabelMe holds none)': 1,
      'shapes without a class (a LabelMe shape needs a label)': 1,
    });
  });
});

// ---------------------------------------------------------------- reader

describe('parseLabelme: each field read', () => {
  it('the image: path with Windows separators made "/", size, a byte-order mark before the JSON', () => {
    const p = parse('\uFEFF' + file([], { imagePath: '..\\img\\a b.jpg' }));
    expect([p.file, p.width, p.height, p.imageDataIgnored, p.objects]).toEqual(['../img/a b.jpg', 20, 10, false, []]);
  });

  it('a byte-order mark inside the text is kept; an image 1 pixel wide is an image', () => {
    const p = parse(file([shape({ label: 'a\uFEFFb', points: [[0, 0]], shape_type: 'point' })], { imageWidth: 1, imageHeight: 1 }));
    expect([p.objects[0].class, p.width, p.height]).toEqual(['a\uFEFFb', 1, 1]);
  });

  it('a missing or null image size is unknown, not refused', () => {
    const p = parse(file([], { imageWidth: undefined, imageHeight: null }));
    expect([p.width, p.height]).toEqual([null, null]);
  });

  it('an empty imageData string is no embedded image', () => {
    expect(parse(file([], { imageData: '' })).imageDataIgnored).toBe(false);
    expect(refused(file([], { imagePath: '', imageData: '' }))).toEqual(['imagePath', 'imagePath is missing: it names the image file, relative to this JSON file']);
  });

  it('a rectangle given by any two opposite corners', () => {
    const p = parse(file([shape({ points: [[9, 1], [4, 7]], shape_type: 'rectangle' })]));
    expect(p.objects).toEqual([{ class: 'cat', kind: 'box', geometry: { type: 'box', x: 4, y: 1, w: 5, h: 6 }, attributes: {}, score: null, where: 'shapes[0]' }]);
  });

  it('attributes from group_id, description, flags and "attributes" (which wins), and the score', () => {
    const p = parse(file([shape({ points: [[0, 0], [1, 1], [2, 0]], shape_type: 'polygon', group_id: 3, description: 'd', flags: { a: true, b: false }, attributes: { b: 'x', n: null, k: 2 }, score: 0.25 })]));
    expect(p.objects[0]).toEqual({ class: 'cat', kind: 'polygon', geometry: { type: 'polygon', points: [0, 0, 1, 1, 2, 0] }, attributes: { group_id: 3, description: 'd', a: true, b: 'x', n: null, k: 2 }, score: 0.25, where: 'shapes[0]' });
  });

  it('a linestrip of 3 or more points is a polygon that remembers it', () => {
    const p = parse(file([shape({ points: [[0, 0], [1, 1], [2, 0]], shape_type: 'linestrip', group_id: 1 })]));
    expect(p.objects[0]).toMatchObject({ kind: 'polygon', geometry: { type: 'polygon', points: [0, 0, 1, 1, 2, 0] }, attributes: { group_id: 1, labelme_shape: 'linestrip' } });
  });

  it('a circle: a polygon on it, with as few corners as keep every edge within 0.25 px of it (8 at least, 720 at most)', () => {
    const corners = (r: number) => {
      const g = parse(file([shape({ points: [[50, 50], [50 + r, 50]], shape_type: 'circle' })])).objects[0].geometry as { points: number[] };
      return g.points.length / 2;
    };
    // n = ceil(π / acos(1 − 0.25 / r)): an edge of a regular n-gon strays r(1 − cos(π/n)) from the circle.
    expect(corners(0.1)).toBe(8);
    expect(corners(1)).toBe(8);
    expect(corners(5)).toBe(10);
    expect(corners(10)).toBe(15);
    expect(corners(100)).toBe(45);
    expect(corners(1e4)).toBe(445);
    expect(corners(1e6)).toBe(720);
    // Corners from angle 0, counter-clockwise in image terms (y down): (55, 50), then 36° on.
    const p = parse(file([shape({ points: [[50, 50], [53, 54]], shape_type: 'circle' })])).objects[0];
    const pts = (p.geometry as { points: number[] }).points;
    expect(pts.slice(0, 2)).toEqual([55, 50]);
    expect(pts[2]).toBeCloseTo(50 + 5 * Math.cos(Math.PI / 5), 12);
    expect(pts[3]).toBeCloseTo(50 + 5 * Math.sin(Math.PI / 5), 12);
    expect(p.attributes).toEqual({ labelme_shape: 'circle' });
    // A circle of radius 0 is 8 corners on its centre.
    const zero = parse(file([shape({ points: [[3, 4], [3, 4]], shape_type: 'circle' })])).objects[0].geometry as { points: number[] };
    expect(zero.points).toEqual([3, 4, 3, 4, 3, 4, 3, 4, 3, 4, 3, 4, 3, 4, 3, 4]);
  });

  it('a mask: its PNG placed at its box, corners truncated as LabelMe casts them', () => {
    // 3×2 crop [1 0 1 / 0 1 0] at columns 2–4, rows 1–2 of a 20×10 image (corners 2.9, 1.2 → 2, 1 and 4.7, 2.99 → 4, 2).
    const p = parse(file([shape({ points: [[2.9, 1.2], [4.7, 2.99]], shape_type: 'mask', mask: png64(3, 2, [1, 0, 255, 0, 7, 0]) })]));
    // Column-major: (2,1) = 2·10+1 = 21, (3,2) = 32, (4,1) = 41.
    expect(p.objects[0]).toEqual({ class: 'cat', kind: 'mask', geometry: { type: 'mask', width: 20, height: 10, counts: [21, 1, 10, 1, 8, 1, 158] }, attributes: {}, score: null, where: 'shapes[0]' });
  });

  it('a mask touching the far edges of its image is inside it', () => {
    const p = parse(file([shape({ points: [[18, 8], [19, 9]], shape_type: 'mask', mask: png64(2, 2, [1, 1, 1, 1]) })]));
    // Columns 18–19, rows 8–9: runs at 188 and 198.
    expect((p.objects[0].geometry as { counts: number[] }).counts).toEqual([188, 2, 8, 2]);
  });

  it('a point: visible, or occluded by its flag; its other flags and fields are attributes', () => {
    const p = parse(file([shape({ label: 'tip', points: [[3, 4]], shape_type: 'point', group_id: 2, description: 'left', flags: { occluded: true, seen: false }, attributes: { k: 1 }, score: 0.5 }), shape({ label: 'tip', points: [[5, 6]], shape_type: 'point', flags: { occluded: false } })]));
    expect(p.objects).toEqual([
      { class: 'tip', kind: 'keypoints', geometry: { type: 'keypoints', points: [3, 4, 1] }, attributes: { group_id: 2, description: 'left', seen: false, k: 1 }, score: 0.5, where: 'shapes[0]' },
      { class: 'tip', kind: 'keypoints', geometry: { type: 'keypoints', points: [5, 6, 2] }, attributes: {}, score: null, where: 'shapes[1]' },
    ]);
  });

  it('points of a template class are grouped by group_id into one object per group, in the template’s order', () => {
    const T = new Map([['person', ['nose', 'eye', 'ear']]]);
    const pt = (label: string, x: number, group_id: number | null, more: Record<string, unknown> = {}) => shape({ label, points: [[x, x]], shape_type: 'point', description: 'person', group_id, ...more });
    const p = parse(
      file([
        pt('ear', 1, 1, { flags: { occluded: true, seen: true } }),
        pt('nose', 2, 2, { score: 0.75 }),
        pt('nose', 3, 1, { attributes: { k: 'v' }, score: 0.5 }),
        pt('eye', 4, 2, { score: 0.25 }),
        pt('eye', 5, null),
      ]),
      T,
    );
    const names = ['nose', 'eye', 'ear'];
    expect(p.objects).toEqual([
      { class: 'person', kind: 'keypoints', geometry: { type: 'keypoints', points: [3, 3, 2, 0, 0, 0, 1, 1, 1], names }, attributes: { group_id: 1, seen: true, k: 'v' }, score: 0.5, where: 'shapes[0]' },
      { class: 'person', kind: 'keypoints', geometry: { type: 'keypoints', points: [2, 2, 2, 4, 4, 2, 0, 0, 0], names }, attributes: { group_id: 2 }, score: 0.75, where: 'shapes[1]' },
      { class: 'person', kind: 'keypoints', geometry: { type: 'keypoints', points: [0, 0, 0, 5, 5, 2, 0, 0, 0], names }, attributes: {}, score: null, where: 'shapes[4]' },
    ]);
  });

  it('a second point of one name in a group is refused, naming where the first of that name was read', () => {
    const T = new Map([['person', ['nose', 'eye']]]);
    const pt = (label: string, group_id: number) => shape({ label, points: [[1, 1]], shape_type: 'point', description: 'person', group_id });
    expect(refused(file([pt('eye', 3), pt('nose', 4), pt('eye', 3)]), T)).toEqual([
      'shapes[2]',
      'a second "eye" point for one "person" (the first is shapes[0]); give each object\'s points their own group_id',
    ]);
    // The group began with its nose (shapes[0]); the first eye is shapes[2].
    expect(refused(file([pt('nose', 3), pt('nose', 4), pt('eye', 3), pt('eye', 4), pt('eye', 3)]), T)).toEqual([
      'shapes[4]',
      'a second "eye" point for one "person" (the first is shapes[2]); give each object\'s points their own group_id',
    ]);
  });

  it('image flags that are true are tags; false ones are nothing', () => {
    const p = parse(file([], { flags: { night: true, rain: false, snow: true } }));
    expect(p.objects).toEqual([
      { class: 'night', kind: 'tag', geometry: { type: 'tag' }, attributes: {}, score: null, where: 'flags.night' },
      { class: 'snow', kind: 'tag', geometry: { type: 'tag' }, attributes: {}, score: null, where: 'flags.snow' },
    ]);
    expect(parse(file([], { flags: null })).objects).toEqual([]);
    expect(parse(file([], { flags: undefined })).objects).toEqual([]);
  });

  it('null description, flags, group_id, attributes and score are as if absent', () => {
    const p = parse(file([{ label: 'cat', points: [[0, 0], [1, 1]], shape_type: 'rectangle', group_id: null, description: null, flags: null, attributes: null, score: null }, { label: 'cat', points: [[0, 0], [1, 1]], shape_type: 'rectangle' }]));
    const box = { class: 'cat', kind: 'box', geometry: { type: 'box', x: 0, y: 0, w: 1, h: 1 }, attributes: {}, score: null };
    expect(p.objects).toEqual([{ ...box, where: 'shapes[0]' }, { ...box, where: 'shapes[1]' }]);
  });
});

describe('parseLabelme: what it refuses, and where', () => {
  const cases: [string, string, string | null, string][] = [
    ['a width of 0', file([], { imageWidth: 0 }), 'imageWidth', 'imageWidth must be a whole number of pixels'],
    ['a height given as text', file([], { imageHeight: '10' }), 'imageHeight', 'imageHeight must be a whole number of pixels'],
    ['an imagePath that is not text', file([], { imagePath: 3 }), 'imagePath', 'imagePath is missing: it names the image file, relative to this JSON file'],
    ['shapes that are not a list', file([], { shapes: {} }), 'shapes', '"shapes" must be a list'],
    ['a JSON null', 'null', null, 'a LabelMe file is a JSON object with "shapes" and "imagePath"'],
    ['a label that is not text', file([shape({ label: 3, points: [[0, 0]], shape_type: 'point' })]), 'shapes[0]', '"label" must be a non-empty string'],
    ['a shape_type that is not text', file([shape({ points: [[0, 0]], shape_type: 5 })]), 'shapes[0]', 'unknown shape_type 5 (known: polygon, rectangle, linestrip, point, mask, circle, line)'],
    ['points that are not a list', file([shape({ points: 'x', shape_type: 'point' })]), 'shapes[0]', '"points" must be a list of [x, y] pairs'],
    ['a point of one number', file([shape({ points: [[0, 0], [1]], shape_type: 'polygon' })]), 'shapes[0]', 'points[1] must be [x, y] with two finite numbers'],
    ['a point that is not a list', file([shape({ points: [{ x: 0, y: 0 }], shape_type: 'point' })]), 'shapes[0]', 'points[0] must be [x, y] with two finite numbers'],
    ['a point with a text x', file([shape({ points: [['0', 0]], shape_type: 'point' })]), 'shapes[0]', 'points[0] must be [x, y] with two finite numbers'],
    ['a rectangle of 1 point', file([shape({ points: [[0, 0]], shape_type: 'rectangle' })]), 'shapes[0]', 'a rectangle has 2 points, got 1'],
    ['a circle of 3 points', file([shape({ points: [[0, 0], [1, 1], [2, 2]], shape_type: 'circle' })]), 'shapes[0]', 'a circle has 2 points, got 3'],
    ['a point of no points', file([shape({ points: [], shape_type: 'point' })]), 'shapes[0]', 'a point has 1 point, got 0'],
    ['a mask of 3 points', file([shape({ points: [[0, 0], [1, 1], [2, 2]], shape_type: 'mask', mask: 'AA==' })]), 'shapes[0]', 'a mask has 2 points, got 3'],
    ['an infinite coordinate (1e999 in the text)', file([shape({ points: [['INF', 0]], shape_type: 'point' })]).replace('"INF"', '1e999'), 'shapes[0]', 'points[0] must be [x, y] with two finite numbers'],
    ['an infinite attribute', file([shape({ points: [[0, 0]], shape_type: 'point', attributes: { k: 'INF' } })]).replace('"INF"', '-1e999'), 'shapes[0]', 'attributes.k must be text, a number, true/false or null'],
    ['an infinite score', file([shape({ points: [[0, 0]], shape_type: 'point', score: 'INF' })]).replace('"INF"', '1e999'), 'shapes[0]', '"score" must be a number'],
    ['a mask of 1 point', file([shape({ points: [[0, 0]], shape_type: 'mask', mask: 'AA==' })]), 'shapes[0]', 'a mask has 2 points, got 1'],
    ['a polygon of no shape_type and 2 points', file([{ label: 'cat', points: [[0, 0], [1, 1]] }]), 'shapes[0]', 'a polygon has at least 3 points, got 2'],
    ['a group_id given as text', file([shape({ points: [[0, 0]], shape_type: 'point', group_id: '1' })]), 'shapes[0]', '"group_id" must be a whole number or null'],
    ['a description that is not text', file([shape({ points: [[0, 0]], shape_type: 'point', description: 1 })]), 'shapes[0]', '"description" must be a string'],
    ['flags given as a list', file([shape({ points: [[0, 0]], shape_type: 'point', flags: [true] })]), 'shapes[0]', '"flags" must be an object of true/false values'],
    ['attributes given as a list', file([shape({ points: [[0, 0]], shape_type: 'point', attributes: [1] })]), 'shapes[0]', '"attributes" must be an object'],
    ['an attribute that is an object', file([shape({ points: [[0, 0]], shape_type: 'point', attributes: { o: {} } })]), 'shapes[0]', 'attributes.o must be text, a number, true/false or null'],
    ['a mask of an empty string', file([shape({ points: [[0, 0], [1, 1]], shape_type: 'mask', mask: '' })]), 'shapes[0]', 'a mask shape needs "mask": a base64 PNG of its box'],
    ['a mask with no image height', file([shape({ points: [[0, 0], [1, 1]], shape_type: 'mask', mask: 'AA==' })], { imageHeight: undefined }), 'shapes[0]', 'a mask needs imageWidth and imageHeight to place it'],
    ['a mask whose corners are the wrong way round', file([shape({ points: [[3, 1], [1, 2]], shape_type: 'mask', mask: 'AA==' })]), 'shapes[0]', "the mask's corners (3, 1) and (1, 2) are not top-left then bottom-right"],
    ['a mask whose corners are upside down', file([shape({ points: [[1, 3], [2, 1]], shape_type: 'mask', mask: 'AA==' })]), 'shapes[0]', "the mask's corners (1, 3) and (2, 1) are not top-left then bottom-right"],
    ['a mask left of the image', file([shape({ points: [[-1, 0], [1, 1]], shape_type: 'mask', mask: 'AA==' })]), 'shapes[0]', "the mask's box (-1, 0)–(1, 1) is outside the 20×10 image"],
    ['a mask above the image', file([shape({ points: [[0, -2], [1, 1]], shape_type: 'mask', mask: 'AA==' })]), 'shapes[0]', "the mask's box (0, -2)–(1, 1) is outside the 20×10 image"],
    ['a mask past the right edge', file([shape({ points: [[18, 0], [20, 1]], shape_type: 'mask', mask: 'AA==' })]), 'shapes[0]', "the mask's box (18, 0)–(20, 1) is outside the 20×10 image"],
    ['a mask past the bottom edge', file([shape({ points: [[0, 8], [1, 10]], shape_type: 'mask', mask: 'AA==' })]), 'shapes[0]', "the mask's box (0, 8)–(1, 10) is outside the 20×10 image"],
    ['a mask PNG of another height than its box', file([shape({ points: [[0, 0], [2, 2]], shape_type: 'mask', mask: png64(3, 2, [1, 1, 1, 1, 1, 1]) })]), 'shapes[0]', 'the mask PNG is 3×2 but its box (0, 0)–(2, 2) is 3×3'],
    ['a shape after good ones', file([shape({ points: [[0, 0]], shape_type: 'point' }), shape({ points: [[0, 0]], shape_type: 'cuboid' })]), 'shapes[1]', 'unknown shape_type "cuboid" (known: polygon, rectangle, linestrip, point, mask, circle, line)'],
    ['image flags given as a list', file([], { flags: [] }), 'flags', '"flags" must be an object of true/false values'],
  ];
  for (const [what, text, where, problem] of cases) {
    it(`refuses ${what}`, () => {
      expect(refused(text)).toEqual([where, problem]);
    });
  }

  it('names a template class’s keypoints when a point is not one of them', () => {
    const T = new Map([['person', ['nose', 'eye']]]);
    expect(refused(file([shape({ label: 'tail', points: [[1, 1]], shape_type: 'point', description: 'person' })]), T)).toEqual([
      'shapes[0]',
      '"tail" is not a keypoint of class "person" (its keypoints: nose, eye)',
    ]);
  });

  it('malformed JSON: the line and column, and what is wrong there', () => {
    expect(refused('{\n  "shapes": [1,]\n}')).toEqual(['line 2, column 15', 'not valid JSON: a "," before "]" (JSON has no trailing commas)']);
  });

  it('JSON too deeply nested to locate the error in: no place, the parser’s own message', () => {
    const [where, problem] = refused('['.repeat(50_000));
    expect(where).toBeNull();
    expect(problem).toMatch(/^not valid JSON: \S/);
  });
});

describe('locateJsonError: each problem it names', () => {
  const cases: [string, { line: number; column: number; problem: string } | null][] = [
    ['{"a": [true, false, null, -1.5e+3, 0, "x"], "b": {}, "c": [], "d": { }}', null],
    ['[\t1,\r\n 2 ]', null],
    ['["a b", 1.25, 1e10, 2E-5, 3e+07, -0]', null],
    ['["\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uABcd"]', null],
    ['{"a": "xyz', { line: 1, column: 7, problem: 'a string is not closed' }],
    ['["\\u12G4"]', { line: 1, column: 3, problem: '"\\u" needs 4 hexadecimal digits' }],
    ['["\\x"]', { line: 1, column: 3, problem: 'unknown escape "\\x" in a string' }],
    ['["\\', { line: 1, column: 3, problem: 'unknown escape "\\" in a string' }],
    ['["a\tb"]', { line: 1, column: 4, problem: 'a control character (a line break or tab) inside a string; write it as \\n or \\t' }],
    ['{a: 1}', { line: 1, column: 2, problem: 'expected a "quoted" key, got "a"' }],
    ['{"a" 1}', { line: 1, column: 6, problem: 'expected ":" after the key, got "1"' }],
    ['{"a": 1 "b": 2}', { line: 1, column: 9, problem: 'expected "," or "}", got "\\""' }],
    ['[1 2]', { line: 1, column: 4, problem: 'expected "," or "]", got "2"' }],
    ['[01]', { line: 1, column: 3, problem: 'expected "," or "]", got "1"' }],
    ['[1,\n]', { line: 1, column: 3, problem: 'a "," before "]" (JSON has no trailing commas)' }],
    ['{"a": 1 ,  }', { line: 1, column: 9, problem: 'a "," before "}" (JSON has no trailing commas)' }],
    ['[nul]', { line: 1, column: 2, problem: 'unexpected "n"' }],
    ['[+1]', { line: 1, column: 2, problem: 'unexpected "+"' }],
    ['[1', { line: 1, column: 3, problem: 'expected "," or "]", got the end of the file' }],
    ['{"a"', { line: 1, column: 5, problem: 'expected ":" after the key, got the end of the file' }],
    ['\n\n  [1]  x', { line: 3, column: 8, problem: 'unexpected "x" after the end of the JSON value' }],
    ['', { line: 1, column: 1, problem: 'unexpected the end of the file' }],
  ];
  for (const [text, want] of cases) {
    it(JSON.stringify(text), () => {
      expect(locateJsonError(text)).toEqual(want);
    });
  }
});
