/**
 * YOLO cases worked by hand from the Ultralytics layout (labels/*.txt: "class cx cy w h", "class x1 y1 x2 y2 …",
 * "class cx cy w h px py [v] …", values normalised by the image size; data.yaml with train/val/test, nc, names as
 * a list or {index: name}, kpt_shape, flip_idx): one case per rule of the writer and the readers, so that a change
 * to any of them fails here. yolo.test.ts holds the golden files and the round-trip properties.
 */
import { formatObject as obj, refusal } from '../../test/formats-testkit.js';
import { describe, expect, it } from 'vitest';
import { polygonArea } from '../geometry/polygon.js';
import { polygonExtent } from '../geometry/extent.js';
import { encodeRle } from '../geometry/rle.js';
import type { Geometry } from '../api/contract.js';
import { ExportTally, type FormatObject, type FormatRecord } from './types.js';
import {
  formatYoloNumber,
  holdYolo,
  parseYoloDataYaml,
  parseYoloLabel,
  YOLO_PRECISION_PX,
  yoloDataYaml,
  yoloLabelText,
  yoloPrecisionPx,
  yoloTask,
  type YoloLabelContext,
  type YoloOptions,
} from './yolo.js';

const NAMES = ['person', 'car', 'dog'];
const classIndex = new Map(NAMES.map((n, i) => [n, i]));
const IMAGE = { id: 1, file: 'a.jpg', width: 200, height: 100 };

const R = {
  caption: 'captions (YOLO labels hold none)',
  tag: 'image tags (YOLO labels hold none)',
  noClass: 'shapes without a class (YOLO needs a class id on every line)',
  unknownClass: "shapes whose class is not in the export's class list",
  keypointsNotPose: 'keypoints (only the YOLO pose layout, with kpt_shape, holds them)',
  keypointsNoShape: 'keypoints (data.yaml has no kpt_shape)',
  notKeypointsInPose: 'boxes, polygons and masks in a YOLO pose dataset (every line there needs kpt_shape points)',
  tooManyPoints: "keypoints with more points than data.yaml's kpt_shape",
  noLabeledPoint: 'keypoints with no labeled point (a YOLO pose line needs their box)',
  emptyMask: 'empty masks',
  outside: 'shapes entirely outside the image',
  attributes: 'attributes not kept (YOLO labels hold none)',
  scoreDropped: 'scores not kept (labels without the score column)',
  scoreMissing: 'predictions without a score, written with score 1',
  clipped: 'coordinates clipped to the image (YOLO coordinates are 0…1)',
  boxAsPolygon: 'boxes written as 4-corner polygons (YOLO segment layout)',
  polygonAsBox: 'polygons written as their bounding box (YOLO detect layout)',
  maskAsBox: 'masks written as their bounding box (YOLO detect layout)',
  maskAsOutline: 'masks written as their largest outer outline (other parts and holes dropped)',
  visibility: 'occluded keypoints written as visible (kpt_shape [n, 2] has no visibility)',
  originPoint: 'keypoints at exactly (0, 0) read back as absent (kpt_shape [n, 2])',
};

/** What holdYolo keeps (geometry, kind, score, attributes) and the changes it counted, for one object. */
function hold(o: FormatObject, opts: YoloOptions, image = IMAGE) {
  const tally = new ExportTally();
  const held = holdYolo(o, image, { ...opts, classIndex }, tally);
  return { held, changed: Object.fromEntries(tally.changed) };
}
const geometryOf = (o: FormatObject, opts: YoloOptions, image = IMAGE) => {
  const { held } = hold(o, opts, image);
  if (typeof held === 'string') throw new Error(`not held: ${held}`);
  expect(held).toHaveLength(1);
  return held[0].geometry;
};

describe('precision and layout choice', () => {
  it('gives the read-back precision in pixels from the larger side', () => {
    expect(yoloPrecisionPx({ width: 4000, height: 3000 })).toBeCloseTo(0.004, 12);
    expect(yoloPrecisionPx({ width: 300, height: 5000 })).toBeCloseTo(0.005, 12);
    expect(YOLO_PRECISION_PX({ width: 1000, height: 10 })).toBeCloseTo(0.001, 12);
  });

  it('picks pose only with kpt_shape and keypoints, segment for polygons or masks', () => {
    expect(yoloTask(['keypoints'], null)).toBe('detect');
    expect(yoloTask(['keypoints', 'polygon'], null)).toBe('segment');
    expect(yoloTask(['polygon'], [17, 3])).toBe('segment');
    expect(yoloTask(['mask'], null)).toBe('segment');
    expect(yoloTask([], null)).toBe('detect');
  });

  it('formats a tiny negative as 0, never "-0"', () => {
    expect(formatYoloNumber(-1e-7)).toBe('0');
    expect(formatYoloNumber(-0.25)).toBe('-0.25');
    expect(formatYoloNumber(10)).toBe('10');
    expect(formatYoloNumber(0.1000004)).toBe('0.1');
  });
});

describe('holdYolo: what is not exported, and why', () => {
  it('names the reason for each kind YOLO cannot hold', () => {
    const box = { type: 'box', x: 1, y: 1, w: 2, h: 2 } as const;
    const kp: Geometry = { type: 'keypoints', points: [10, 10, 2] };
    expect(hold(obj(null, { type: 'caption', text: 'x' }), { kptShape: null }).held).toBe(R.caption);
    expect(hold(obj('car', { type: 'tag' }), { kptShape: null }).held).toBe(R.tag);
    expect(hold(obj(null, box), { kptShape: null }).held).toBe(R.noClass);
    expect(hold(obj('cat', box), { kptShape: null }).held).toBe(R.unknownClass);
    expect(hold(obj('person', kp), { kptShape: null }).held).toBe(R.keypointsNoShape);
    expect(hold(obj('person', kp), { kptShape: null, task: 'detect' }).held).toBe(R.keypointsNotPose);
    expect(hold(obj('person', kp), { kptShape: [1, 3], task: 'segment' }).held).toBe(R.keypointsNotPose);
    expect(hold(obj('person', box), { kptShape: [1, 3] }).held).toBe(R.notKeypointsInPose);
    expect(hold(obj('person', { type: 'polygon', points: [0, 0, 5, 0, 5, 5] }), { kptShape: [1, 3], task: 'pose' }).held).toBe(R.notKeypointsInPose);
    // Without a class list, any class is held.
    expect(holdYolo(obj('cat', box), IMAGE, { kptShape: null })).toEqual([{ class: 'cat', kind: 'box', geometry: box, attributes: {}, score: null }]);
  });

  it('throws when asked for the pose layout without kpt_shape', () => {
    expect(() => holdYolo(obj('car', { type: 'box', x: 1, y: 1, w: 2, h: 2 }), IMAGE, { kptShape: null, task: 'pose' })).toThrow('the YOLO pose layout needs kpt_shape');
  });

  it('counts skipped objects in the label file tally and writes nothing for them', () => {
    const rec: FormatRecord = {
      image: IMAGE,
      objects: [obj('cat', { type: 'box', x: 1, y: 1, w: 2, h: 2 }), obj('car', { type: 'box', x: 300, y: 10, w: 10, h: 10 }), obj('car', { type: 'mask', width: 200, height: 100, counts: [20000] })],
    };
    const tally = new ExportTally();
    expect(yoloLabelText(rec, classIndex, tally, { kptShape: null })).toBe('');
    expect(Object.fromEntries(tally.notExported)).toEqual({ [R.unknownClass]: 1, [R.outside]: 1, [R.emptyMask]: 1 });
  });
});

describe('holdYolo: attributes and scores', () => {
  const box = { type: 'box', x: 20, y: 10, w: 40, h: 30 } as const;
  it('drops attributes and counts them', () => {
    const { held, changed } = hold(obj('car', box, { attributes: { occluded: true } }), { kptShape: null });
    expect(held).toEqual([{ class: 'car', kind: 'box', geometry: box, attributes: {}, score: null }]);
    expect(changed).toEqual({ [R.attributes]: 1 });
    expect(hold(obj('car', box), { kptShape: null }).changed).toEqual({});
  });

  it('drops a score from a labels export, writes 1 for a prediction without one, and rounds to 6 decimals', () => {
    const labels = hold(obj('car', box, { score: 0.9 }), { kptShape: null });
    expect((labels.held as { score: number | null }[])[0].score).toBeNull();
    expect(labels.changed).toEqual({ [R.scoreDropped]: 1 });
    const missing = hold(obj('car', box), { kptShape: null, withScore: true });
    expect((missing.held as { score: number | null }[])[0].score).toBe(1);
    expect(missing.changed).toEqual({ [R.scoreMissing]: 1 });
    const rounded = hold(obj('car', box, { score: 0.87654321 }), { kptShape: null, withScore: true });
    expect((rounded.held as { score: number | null }[])[0].score).toBe(0.876543);
    expect(rounded.changed).toEqual({});
    const rec: FormatRecord = { image: IMAGE, objects: [obj('car', box)] };
    expect(yoloLabelText(rec, classIndex, new ExportTally(), { kptShape: null, withScore: true })).toBe('1 0.2 0.25 0.2 0.3 1\n');
  });

  it('counts each reason once per object, and each object', () => {
    const tally = new ExportTally();
    const rec: FormatRecord = {
      image: IMAGE,
      objects: [
        obj('car', { type: 'box', x: -10, y: -10, w: 300, h: 300 }, { attributes: { a: 1, b: 2 } }),
        obj('car', { type: 'box', x: -10, y: 10, w: 20, h: 10 }),
      ],
    };
    expect(yoloLabelText(rec, classIndex, tally, { kptShape: null })).toBe('1 0.5 0.5 1 1\n1 0.025 0.15 0.05 0.1\n');
    expect(Object.fromEntries(tally.changed)).toEqual({ [R.clipped]: 2, [R.attributes]: 1 });
  });
});

describe('holdYolo: boxes clipped to the image (200×100)', () => {
  const box = (x: number, y: number, w: number, h: number) => obj('car', { type: 'box', x, y, w, h });
  const cases: [string, FormatObject, unknown][] = [
    ['left', box(-5, 10, 20, 10), { type: 'box', x: 0, y: 10, w: 15, h: 10 }],
    ['top', box(10, -5, 10, 20), { type: 'box', x: 10, y: 0, w: 10, h: 15 }],
    ['right', box(190, 10, 20, 10), { type: 'box', x: 190, y: 10, w: 10, h: 10 }],
    ['bottom', box(10, 95, 10, 10), { type: 'box', x: 10, y: 95, w: 10, h: 5 }],
  ];
  for (const [side, o, want] of cases) {
    it(`clips a box over the ${side} edge and counts it`, () => {
      const { held, changed } = hold(o, { kptShape: null });
      expect((held as { geometry: unknown }[])[0].geometry).toEqual(want);
      expect(changed).toEqual({ [R.clipped]: 1 });
    });
  }

  it('keeps a box touching the edges without counting a change', () => {
    expect(hold(box(0, 0, 200, 100), { kptShape: null }).changed).toEqual({});
    expect(hold(box(10, 10, 0, 10), { kptShape: null })).toEqual({ held: [{ class: 'car', kind: 'box', geometry: { type: 'box', x: 10, y: 10, w: 0, h: 10 }, attributes: {}, score: null }], changed: {} });
  });

  it('leaves out a box entirely outside, even one that only touches an edge from outside', () => {
    for (const o of [box(200, 10, 10, 10), box(-10, 10, 10, 10), box(10, 100, 10, 5), box(10, -20, 10, 20), box(250, 150, 5, 5)]) {
      expect(hold(o, { kptShape: null }).held).toBe(R.outside);
      expect(hold(o, { kptShape: null, task: 'segment' }).held).toBe(R.outside);
    }
  });

  it('clips a box of no width or height onto the edge rather than leaving it out (it has no area to lose)', () => {
    expect(hold(box(250, 10, 0, 10), { kptShape: null })).toEqual({ held: [{ class: 'car', kind: 'box', geometry: { type: 'box', x: 200, y: 10, w: 0, h: 10 }, attributes: {}, score: null }], changed: { [R.clipped]: 1 } });
    expect(hold(box(10, 120, 10, 0), { kptShape: null })).toEqual({ held: [{ class: 'car', kind: 'box', geometry: { type: 'box', x: 10, y: 100, w: 10, h: 0 }, attributes: {}, score: null }], changed: { [R.clipped]: 1 } });
  });

  it('writes a clipped box as its 4 corners in the segment layout', () => {
    const { held, changed } = hold(box(-5, 10, 20, 10), { kptShape: null, task: 'segment' });
    expect(held).toEqual([{ class: 'car', kind: 'polygon', geometry: { type: 'polygon', points: [0, 10, 15, 10, 15, 20, 0, 20] }, attributes: {}, score: null }]);
    expect(changed).toEqual({ [R.clipped]: 1, [R.boxAsPolygon]: 1 });
  });
});

describe('holdYolo: polygons', () => {
  const poly = (...points: number[]) => obj('car', { type: 'polygon', points });
  it('clamps x to the width and y to the height', () => {
    const { held, changed } = hold(poly(10, 10, 150, 10, 150, 120), { kptShape: null });
    expect(held).toEqual([{ class: 'car', kind: 'polygon', geometry: { type: 'polygon', points: [10, 10, 150, 10, 150, 100] }, attributes: {}, score: null }]);
    expect(changed).toEqual({ [R.clipped]: 1 });
    expect(geometryOf(poly(-10, 10, 250, 10, 30, 50), { kptShape: null })).toEqual({ type: 'polygon', points: [0, 10, 200, 10, 30, 50] });
    expect(hold(poly(10, 10, 150, 10, 150, 90), { kptShape: null }).changed).toEqual({});
  });

  it('leaves out a polygon entirely outside', () => {
    expect(hold(poly(210, 10, 250, 10, 250, 40), { kptShape: null }).held).toBe(R.outside);
    expect(hold(poly(10, -50, 50, -50, 50, -10), { kptShape: null, task: 'segment' }).held).toBe(R.outside);
    expect(hold(poly(210, 10, 250, 10, 250, 40), { kptShape: null, task: 'detect' }).held).toBe(R.outside);
  });

  it('keeps a polygon that is already flat but crosses the edge (clipping it empties nothing)', () => {
    const { held, changed } = hold(poly(10, 10, 250, 10, 100, 10), { kptShape: null });
    expect((held as { geometry: unknown }[])[0].geometry).toEqual({ type: 'polygon', points: [10, 10, 200, 10, 100, 10] });
    expect(changed).toEqual({ [R.clipped]: 1 });
  });

  it('writes a polygon as its clipped extent in the detect layout', () => {
    const { held, changed } = hold(poly(-10, 10, 50, 10, 50, 40), { kptShape: null, task: 'detect' });
    expect(held).toEqual([{ class: 'car', kind: 'box', geometry: { type: 'box', x: 0, y: 10, w: 50, h: 30 }, attributes: {}, score: null }]);
    expect(changed).toEqual({ [R.clipped]: 1, [R.polygonAsBox]: 1 });
    expect(hold(poly(10, 10, 50, 10, 30, 40), { kptShape: null, task: 'detect' })).toEqual({
      held: [{ class: 'car', kind: 'box', geometry: { type: 'box', x: 10, y: 10, w: 40, h: 30 }, attributes: {}, score: null }],
      changed: { [R.polygonAsBox]: 1 },
    });
  });
});

describe('holdYolo: masks', () => {
  // A 10×5 mask on a 20×15 image (scale 2 across, 3 down): a 2×1 block at columns 2-3, row 1, and a single
  // pixel at (7, 3). Its bounding box is columns 2-7, rows 1-3.
  const small = new Uint8Array(50);
  small[1 * 10 + 2] = small[1 * 10 + 3] = small[3 * 10 + 7] = 1;
  const mask = obj('dog', { type: 'mask', ...encodeRle(small, 10, 5) });
  const image = { id: 2, file: 'm.jpg', width: 20, height: 15 };

  it('writes the largest outline, scaled to the image, in the own-form and segment layouts', () => {
    for (const task of [undefined, 'segment'] as const) {
      const { held, changed } = hold(mask, { kptShape: null, task }, image);
      const g = (held as { geometry: { type: string; points: number[] } }[])[0].geometry;
      expect(g.type).toBe('polygon');
      // Block x 2…4, y 1…2 in mask pixels → x 4…8, y 3…6 in the image.
      expect(polygonExtent(g.points)).toEqual([4, 3, 4, 3]);
      expect(polygonArea(g.points)).toBe(12);
      expect(changed).toEqual({ [R.maskAsOutline]: 1 });
    }
  });

  it('writes the mask’s bounding box, scaled, in the detect layout', () => {
    expect(hold(mask, { kptShape: null, task: 'detect' }, image)).toEqual({
      held: [{ class: 'dog', kind: 'box', geometry: { type: 'box', x: 4, y: 3, w: 12, h: 9 }, attributes: {}, score: null }],
      changed: { [R.maskAsBox]: 1 },
    });
  });

  it('leaves out an empty mask in every layout', () => {
    const empty = obj('dog', { type: 'mask', width: 10, height: 5, counts: [50] });
    expect(hold(empty, { kptShape: null }, image).held).toBe(R.emptyMask);
    expect(hold(empty, { kptShape: null, task: 'detect' }, image).held).toBe(R.emptyMask);
  });
});

describe('holdYolo: keypoints', () => {
  const kp = (...points: number[]) => obj('person', { type: 'keypoints', points });
  it('refuses labeled points past kpt_shape, and ignores unlabeled ones', () => {
    expect(hold(kp(10, 10, 2, 20, 20, 2, 30, 30, 2, 40, 40, 1), { kptShape: [3, 3] }).held).toBe(R.tooManyPoints);
    expect(geometryOf(kp(10, 10, 2, 20, 20, 2, 30, 30, 2, 40, 40, 0, 50, 50, 0), { kptShape: [3, 3] })).toEqual({ type: 'keypoints', points: [10, 10, 2, 20, 20, 2, 30, 30, 2] });
  });

  it('writes absent points as 0 0 0 and keeps occluded ones occluded with kpt_shape [n, 3]', () => {
    const { held, changed } = hold(kp(5, 5, 0, 20, 30, 1, 40, 50, 2), { kptShape: [4, 3] });
    expect((held as { geometry: unknown }[])[0].geometry).toEqual({ type: 'keypoints', points: [0, 0, 0, 20, 30, 1, 40, 50, 2, 0, 0, 0] });
    expect(changed).toEqual({});
  });

  it('leaves out keypoints with no labeled point', () => {
    expect(hold(kp(5, 5, 0, 6, 6, 0), { kptShape: [2, 3] }).held).toBe(R.noLabeledPoint);
    expect(hold(kp(0, 0, 2), { kptShape: [1, 2] }).held).toBe(R.noLabeledPoint);
  });

  it('clips points to the image, counting the object once', () => {
    const { held, changed } = hold(kp(-5, 50, 2, 250, 120, 1, 10, 20, 2), { kptShape: [3, 3] });
    expect((held as { geometry: unknown }[])[0].geometry).toEqual({ type: 'keypoints', points: [0, 50, 2, 200, 100, 1, 10, 20, 2] });
    expect(changed).toEqual({ [R.clipped]: 1 });
    expect(hold(kp(10, 120, 2), { kptShape: [1, 3] }).changed).toEqual({ [R.clipped]: 1 });
  });

  it('with kpt_shape [n, 2]: occluded becomes visible, a point at (0, 0) becomes absent', () => {
    const { held, changed } = hold(kp(0, 0, 2, 10, 20, 1, 0, 5, 2, 7, 0, 2), { kptShape: [4, 2] });
    expect((held as { geometry: unknown }[])[0].geometry).toEqual({ type: 'keypoints', points: [0, 0, 0, 10, 20, 2, 0, 5, 2, 7, 0, 2] });
    expect(changed).toEqual({ [R.visibility]: 1, [R.originPoint]: 1 });
    const text = yoloLabelText({ image: IMAGE, objects: [kp(0, 0, 2, 10, 20, 1, 0, 5, 2, 7, 0, 2)] }, classIndex, new ExportTally(), { kptShape: [4, 2] });
    // Box: the labeled points' extent x 0…10, y 0…20 (the dropped origin point is not labeled any more).
    expect(text).toBe('0 0.025 0.1 0.05 0.2 0 0 0.05 0.2 0 0.05 0.035 0\n');
  });
});

// ---------------------------------------------------------------- reading label files

describe('parseYoloLabel: what each line means', () => {
  const ctx: YoloLabelContext = { names: NAMES, width: 200, height: 100, kptShape: null };
  it('reads a box line as pixels of the image', () => {
    expect(parseYoloLabel('0 0.5 0.25 0.25 0.5', 'a.txt', ctx)).toEqual([
      { class: 'person', kind: 'box', geometry: { type: 'box', x: 75, y: 0, w: 50, h: 50 }, attributes: {}, score: null, where: 'line 1' },
    ]);
  });

  it('reads a polygon line, x by the width and y by the height', () => {
    expect(parseYoloLabel('2 0.25 0.5 0.75 0.5 0.5 1', 'a.txt', ctx)).toEqual([
      { class: 'dog', kind: 'polygon', geometry: { type: 'polygon', points: [50, 50, 150, 50, 100, 100] }, attributes: {}, score: null, where: 'line 1' },
    ]);
  });

  it('reads the score last on a predictions line', () => {
    const [box, poly] = parseYoloLabel('1 0.5 0.5 0.5 0.5 0.75\n1 0 0 1 0 1 1 0.25', 'p.txt', { ...ctx, withScore: true });
    expect([box.kind, box.score, box.geometry]).toEqual(['box', 0.75, { type: 'box', x: 50, y: 25, w: 100, h: 50 }]);
    expect([poly.kind, poly.score, poly.geometry]).toEqual(['polygon', 0.25, { type: 'polygon', points: [0, 0, 200, 0, 200, 100] }]);
  });

  it('strips a byte-order mark, splits on \\r, tabs and runs of spaces', () => {
    const out = parseYoloLabel('\uFEFF0 0.5 0.5 0.5 0.5\r  1\t0.5   0.5 0.5 0.5  ', 'a.txt', ctx);
    expect(out.map((o) => [o.class, o.where])).toEqual([['person', 'line 1'], ['car', 'line 2']]);
  });

  it('reads a pose line: box then kpt_shape points, (0, 0) absent without a visibility column', () => {
    const two = parseYoloLabel('0 0.5 0.5 0.5 0.5 0 0 0.25 0.5', 'k.txt', { ...ctx, kptShape: [2, 2] });
    expect(two.map((o) => [o.kind, o.geometry])).toEqual([['keypoints', { type: 'keypoints', points: [0, 0, 0, 50, 50, 2] }]]);
    // (0, y) is a point, only (0, 0) is absent.
    expect(parseYoloLabel('0 0.5 0.5 0.5 0.5 0 0.5 0.5 0', 'k.txt', { ...ctx, kptShape: [2, 2] })[0].geometry).toEqual({ type: 'keypoints', points: [0, 50, 2, 100, 0, 2] });
    const three = parseYoloLabel('0 0.5 0.5 0.5 0.5 0.25 0.5 1 0.5 0.25 2 0.9 0.9 0', 'k.txt', { ...ctx, kptShape: [3, 3] });
    expect(three[0].geometry).toEqual({ type: 'keypoints', points: [50, 50, 1, 100, 25, 2, 0, 0, 0] });
    // An absent point's position is not checked.
    expect(parseYoloLabel('0 0.5 0.5 0.5 0.5 7 7 0', 'k.txt', { ...ctx, kptShape: [1, 3] })[0].geometry).toEqual({ type: 'keypoints', points: [0, 0, 0] });
    const scored = parseYoloLabel('0 0.5 0.5 0.5 0.5 0.25 0.5 2 0.5', 'k.txt', { ...ctx, kptShape: [1, 3], withScore: true });
    expect([scored[0].score, scored[0].geometry]).toEqual([0.5, { type: 'keypoints', points: [50, 50, 2] }]);
  });

  it('reads box lines of a dataset with kpt_shape when the layout is detect', () => {
    expect(parseYoloLabel('0 0.5 0.5 0.5 0.5', 'a.txt', { ...ctx, kptShape: [1, 3], task: 'detect' })[0].kind).toBe('box');
  });

  it('reads a box of no width or height', () => {
    expect(parseYoloLabel('0 0.5 0.5 0 0', 'a.txt', ctx)[0].geometry).toEqual({ type: 'box', x: 100, y: 50, w: 0, h: 0 });
  });

  it('reads a predictions line of a class and a score as a polygon with no points, and refuses it', () => {
    const e = refusal(() => parseYoloLabel('0 0.9', 'p.txt', { ...ctx, withScore: true }));
    expect([e.where, e.problem]).toEqual(['line 1', 'a polygon needs at least 3 points, got 0 (a box line has 4 values after the class)']);
  });

  it('accepts values up to exactly 1e-4 outside [0, 1]', () => {
    expect(parseYoloLabel('0 -0.0001 1.0001 0.5 0.5', 'a.txt', ctx)).toHaveLength(1);
    expect(parseYoloLabel('0 -0.00009 1.00009 0.5 0.5', 'a.txt', ctx)).toHaveLength(1);
    expect(parseYoloLabel('0 -0.00009 1.00009 0.5 0 1 1', 'a.txt', ctx)).toHaveLength(1);
  });
});

describe('parseYoloLabel: refusals name the file, the line and the problem', () => {
  const ctx: YoloLabelContext = { names: NAMES, width: 200, height: 100, kptShape: null };
  const cases: [string, string, Partial<YoloLabelContext>, string, string][] = [
    ['a long token, cut at 20 characters', '0 0.5 abcdefghijklmnopqrstuvwxyz 0.5 0.5', {}, 'line 1', 'value 3 "abcdefghijklmnopqrst…" is not a number'],
    ['a 20-character token, whole', '0 0.5 abcdefghijklmnopqrst 0.5 0.5', {}, 'line 1', 'value 3 "abcdefghijklmnopqrst" is not a number'],
    ['a hex value', '0 0x1 0.5 0.5 0.5', {}, 'line 1', 'value 2 "0x1" is not a number'],
    ['a class id out of one class', '1 0.5 0.5 0.5 0.5', { names: ['a'] }, 'line 1', 'class id 1 is out of range: data.yaml names 1 class (0 to 0)'],
    ['a class id equal to the count', '3 0.5 0.5 0.5 0.5', {}, 'line 1', 'class id 3 is out of range: data.yaml names 3 classes (0 to 2)'],
    ['a negative class', '-1 0.5 0.5 0.5 0.5', {}, 'line 1', 'class id "-1" is not a whole number from 0'],
    ['a predictions line with only a class', '\n0', { withScore: true }, 'line 2', 'no score at the end of the line'],
    ['a value just past the tolerance above', '0 1.00011 0.5 0.5 0.5', {}, 'line 1', 'x centre is 1.00011, outside 0…1 (YOLO coordinates are normalised by the image size)'],
    ['a value just past the tolerance below', '0 0.5 -0.00011 0.5 0.5', {}, 'line 1', 'y centre is -0.00011, outside 0…1 (YOLO coordinates are normalised by the image size)'],
    ['a height out of range', '0 0.5 0.5 0.5 2', {}, 'line 1', 'height is 2, outside 0…1 (YOLO coordinates are normalised by the image size)'],
    ['a negative width within the tolerance', '0 0.5 0.5 -0.00005 0.5', {}, 'line 1', "the box's width is negative"],
    ['a negative height within the tolerance', '0 0.5 0.5 0.5 -0.00005', {}, 'line 1', "the box's height is negative"],
    ['an odd polygon', '0 0.1 0.1 0.2 0.1 0.2', {}, 'line 1', 'a polygon needs x y pairs: 5 coordinates is an odd count'],
    ['a 1-point polygon', '0 0.1 0.1', {}, 'line 1', 'a polygon needs at least 3 points, got 1 (a box line has 4 values after the class)'],
    ['a class alone', '0', {}, 'line 1', 'a polygon needs at least 3 points, got 0 (a box line has 4 values after the class)'],
    ['a polygon x outside', '0 0.1 0.1 0.2 0.1 1.5 0.2', {}, 'line 1', "point 3's x is 1.5, outside 0…1 (YOLO coordinates are normalised by the image size)"],
    ['a polygon y outside', '0 0.1 -0.5 0.2 0.1 0.5 0.2', {}, 'line 1', "point 1's y is -0.5, outside 0…1 (YOLO coordinates are normalised by the image size)"],
    ['a pose line of the wrong length', '0 0.5 0.5 0.1 0.1 0.5 0.5 2', { kptShape: [2, 3] }, 'line 1', 'a pose line has the class, 4 box values and 2 points × 3 = 10 values; got 7 values after the class (kpt_shape [2, 3])'],
    ['a pose prediction of the wrong length', '0 0.5 0.5 0.1 0.1 0.5 0.5 0.9', { kptShape: [2, 2], withScore: true }, 'line 1', 'a pose line has the class, 4 box values and 2 points × 2 = 8 values and a score; got 6 values after the class (kpt_shape [2, 2])'],
    ['a pose box value outside', '0 0.5 0.5 1.5 0.1 0.5 0.5 2', { kptShape: [1, 3] }, 'line 1', 'width is 1.5, outside 0…1 (YOLO coordinates are normalised by the image size)'],
    ['a pose visibility of 3', '0 0.5 0.5 0.1 0.1 0.5 0.5 2 0.5 0.5 3', { kptShape: [2, 3] }, 'line 1', "keypoint 2's visibility is 3; it must be 0 (absent), 1 (occluded) or 2 (visible)"],
    ['a pose keypoint y outside', '0 0.5 0.5 0.1 0.1 0.5 0.5 2 0.5 1.5 1', { kptShape: [2, 3] }, 'line 1', "keypoint 2's y is 1.5, outside 0…1 (YOLO coordinates are normalised by the image size)"],
    ['a pose keypoint outside without visibility', '0 0.5 0.5 0.1 0.1 -0.5 0.5', { kptShape: [1, 2] }, 'line 1', "keypoint 1's x is -0.5, outside 0…1 (YOLO coordinates are normalised by the image size)"],
  ];
  for (const [what, text, extra, where, problem] of cases) {
    it(`refuses ${what}`, () => {
      const e = refusal(() => parseYoloLabel(text, 'labels/b.txt', { ...ctx, ...extra }));
      expect([e.file, e.where, e.problem]).toEqual(['labels/b.txt', where, problem]);
    });
  }

  it('refuses a pose dataset without kpt_shape, naming the file', () => {
    const e = refusal(() => parseYoloLabel('', 'labels/b.txt', { ...ctx, task: 'pose' }));
    expect([e.file, e.where, e.problem]).toEqual(['labels/b.txt', null, 'a pose dataset needs kpt_shape in data.yaml']);
  });

  it('needs the image size', () => {
    expect(() => parseYoloLabel('', 'a.txt', { ...ctx, width: 0 })).toThrow('parseYoloLabel needs the image size, got 0×100');
    expect(() => parseYoloLabel('', 'a.txt', { ...ctx, height: 0 })).toThrow('parseYoloLabel needs the image size, got 200×0');
    expect(() => parseYoloLabel('', 'a.txt', { ...ctx, width: NaN })).toThrow(/needs the image size/);
    expect(parseYoloLabel('', 'a.txt', ctx)).toEqual([]);
  });
});

// ---------------------------------------------------------------- data.yaml

describe('yoloDataYaml', () => {
  it('writes path, split lists, test, a 2-value kpt_shape and flip_idx', () => {
    const text = yoloDataYaml({ names: ['a', 'b'], kptShape: [2, 2], splits: { train: ['t1', 't2'], val: 'v', test: ['x'] }, flipIdx: [1, 0], path: 'ds' });
    expect(text).toBe(
      [
        '# Ultralytics YOLO dataset written by Sightline.',
        '# Coordinates are normalised to each image as displayed (EXIF orientation applied).',
        'path: ds',
        'train: [t1, t2]',
        'val: v',
        'test: [x]',
        'kpt_shape: [2, 2] # keypoints per object, values per keypoint (x, y)',
        'flip_idx: [1, 0]',
        'nc: 2',
        'names:',
        '  0: a',
        '  1: b',
        '',
      ].join('\n'),
    );
    expect(parseYoloDataYaml(text, 'data.yaml')).toEqual({ names: ['a', 'b'], kptShape: [2, 2], flipIdx: [1, 0], path: 'ds', splits: { train: ['t1', 't2'], val: ['v'], test: ['x'] } });
  });

  it('writes val as the train set when there is none, no test line for an empty one, and names {} for no class', () => {
    const text = yoloDataYaml({ names: [], kptShape: null, splits: { train: 'images', val: [], test: [] } });
    expect(text.split('\n').slice(2)).toEqual(['train: images', 'val: images # no validation split: Ultralytics needs one, so it is the train set', 'nc: 0', 'names: {}', '']);
    expect(yoloDataYaml({ names: ['a'], kptShape: [1, 3], splits: { train: 'i', val: '' } })).toContain('\nval: i # no validation split');
    expect(yoloDataYaml({ names: ['a'], kptShape: [1, 3], splits: { train: 'i' }, flipIdx: null })).toContain('\nkpt_shape: [1, 3] # keypoints per object, values per keypoint (x, y, visibility)\nnc: 1\n');
  });

  it('refuses what Ultralytics cannot train on', () => {
    const base = { names: ['a'], kptShape: null, splits: { train: 'i' } };
    expect(() => yoloDataYaml({ ...base, splits: {} })).toThrow('data.yaml needs a train split');
    expect(() => yoloDataYaml({ ...base, splits: { train: '' } })).toThrow('data.yaml needs a train split');
    expect(() => yoloDataYaml({ ...base, splits: { train: [] } })).toThrow('data.yaml needs a train split');
    for (const k of [[0, 3], [1.5, 3], [3, 4], [3, 1]] as [number, number][]) {
      expect(() => yoloDataYaml({ ...base, kptShape: k })).toThrow(`kpt_shape must be [points ≥ 1, 2 or 3], got [${k.join(', ')}]`);
    }
    expect(() => yoloDataYaml({ ...base, kptShape: [1, 3, 3] as unknown as [number, number] })).toThrow('kpt_shape must be [points ≥ 1, 2 or 3], got [1, 3, 3]');
    expect(() => yoloDataYaml({ ...base, flipIdx: [0] })).toThrow('flip_idx needs kpt_shape');
    for (const f of [[0, 1], [0, 1, 3], [0, 1, -1], [0, 1, 1.5]]) {
      expect(() => yoloDataYaml({ ...base, kptShape: [3, 3], flipIdx: f })).toThrow('flip_idx must list 3 keypoint indices from 0 to 2');
    }
    expect(yoloDataYaml({ ...base, kptShape: [3, 3], flipIdx: [2, 1, 0] })).toContain('\nflip_idx: [2, 1, 0]\n');
  });
});

describe('parseYoloDataYaml', () => {
  it('reads names as {index: name} in any key order, and Python’s str() of booleans', () => {
    expect(parseYoloDataYaml('names:\n  1: b\n  0: a\n  2: no\n  3: yes', 'd.yaml').names).toEqual(['a', 'b', 'False', 'True']);
    expect(parseYoloDataYaml('names: [no, off]', 'd.yaml').names).toEqual(['False', 'False']);
  });

  it('reads names keys of two digits', () => {
    const lines = Array.from({ length: 11 }, (_, i) => `  ${i}: n${i}`);
    expect(parseYoloDataYaml(`names:\n${lines.join('\n')}`, 'd.yaml').names).toEqual(Array.from({ length: 11 }, (_, i) => `n${i}`));
  });

  it('takes names from nc when names is null, and names alone when nc is null', () => {
    expect(parseYoloDataYaml('names:\nnc: 2', 'd.yaml').names).toEqual(['class_0', 'class_1']);
    expect(parseYoloDataYaml('names: [a]\nnc:', 'd.yaml').names).toEqual(['a']);
    expect(parseYoloDataYaml('nc: 0', 'd.yaml').names).toEqual([]);
    expect(parseYoloDataYaml('names: [a, b]\nnc: 2', 'd.yaml').names).toEqual(['a', 'b']);
  });

  it('reads null kpt_shape, flip_idx, path and splits as absent', () => {
    expect(parseYoloDataYaml('names: [a]\nkpt_shape:\nflip_idx:\npath:\ntrain:\nval:\ntest:', 'd.yaml')).toEqual({ names: ['a'], kptShape: null, flipIdx: null, path: null, splits: {} });
  });

  it('reads kpt_shape and flip_idx', () => {
    expect(parseYoloDataYaml('names: [a]\nkpt_shape: [2, 2]\nflip_idx: [1, 0]', 'd.yaml')).toMatchObject({ kptShape: [2, 2], flipIdx: [1, 0] });
    expect(parseYoloDataYaml('names: [a]\nkpt_shape: [1, 3]', 'd.yaml')).toMatchObject({ kptShape: [1, 3], flipIdx: null });
  });

  it('reads split paths: numbers as text, val over validation unless val is empty, test as a list', () => {
    expect(parseYoloDataYaml('names: [a]\ntrain: 2017\nval: []\nvalidation: v\ntest: [t1, t2]', 'd.yaml').splits).toEqual({ train: ['2017'], val: ['v'], test: ['t1', 't2'] });
    expect(parseYoloDataYaml('names: [a]\nval: v1\nvalidation: v2', 'd.yaml').splits).toEqual({ val: ['v1'] });
  });

  const bad: [string, string, string | null, string][] = [
    ['an empty document', '', null, 'data.yaml must be a mapping of keys (train, val, names, …)'],
    ['a scalar document', 'abc', null, 'data.yaml must be a mapping of keys (train, val, names, …)'],
    ['names and nc both null', 'names:\nnc:', null, 'data.yaml has neither names nor nc: Ultralytics needs the class names'],
    ['a fractional nc', 'names: [a]\nnc: 1.5', 'line 2', 'nc must be a whole number of classes'],
    ['a negative nc', 'nc: -1', 'line 1', 'nc must be a whole number of classes'],
    ['an nc that is text', 'nc: two', 'line 1', 'nc must be a whole number of classes'],
    ['nc less than the names', 'names: [a, b]\nnc: 1', 'line 2', 'nc is 1 but names lists 2 classes'],
    ['a names key with a leading zero', 'names:\n  0: a\n  01: b', 'line 3', 'names key "01" is not a class index (0, 1, 2, …)'],
    ['a negative names key', 'names:\n  -1: a', 'line 2', 'names key "-1" is not a class index (0, 1, 2, …)'],
    ['a names key equal to the count', 'names:\n  0: a\n  2: b\n  1: c\n  3: d\n  5: e', 'line 6', 'names has 5 classes, so its keys must be 0 to 4; got 5'],
    ['names that is a string, on line 2', 'train: a\nnames: abc', 'line 2', 'names must be a list of class names or a mapping {0: name, 1: name, …}'],
    ['a names value that is a list', 'names:\n  0: a\n  1: [b]', 'line 3', 'names 1 is not a class name'],
    ['an empty name in a mapping', "names:\n  0: a\n  1: ' '", 'line 3', 'class 1 has an empty name'],
    ['an empty name in a block list', "names:\n  - a\n  - ''", 'line 3', 'class 1 has an empty name'],
    ['a kpt_shape of one value', 'names: [a]\nkpt_shape: [17]', 'line 2', 'kpt_shape must be [number of keypoints, 2 or 3], e.g. [17, 3]'],
    ['a kpt_shape with no points', 'names: [a]\nkpt_shape: [0, 3]', 'line 2', 'kpt_shape must be [number of keypoints, 2 or 3], e.g. [17, 3]'],
    ['a fractional kpt_shape', 'names: [a]\nkpt_shape: [1.5, 3]', 'line 2', 'kpt_shape must be [number of keypoints, 2 or 3], e.g. [17, 3]'],
    ['a kpt_shape with text', 'names: [a]\nkpt_shape: [a, 3]', 'line 2', 'kpt_shape must be [number of keypoints, 2 or 3], e.g. [17, 3]'],
    ['a kpt_shape that is a number', 'names: [a]\nkpt_shape: 17', 'line 2', 'kpt_shape must be [number of keypoints, 2 or 3], e.g. [17, 3]'],
    ['a kpt_shape of 1 value per point', 'names: [a]\nkpt_shape: [17, 1]', 'line 2', 'kpt_shape must be [number of keypoints, 2 or 3], e.g. [17, 3]'],
    ['a flip_idx that is a number', 'names: [a]\nkpt_shape: [1, 3]\nflip_idx: 0', 'line 3', 'flip_idx must list 1 keypoint indices from 0 to 0'],
    ['a flip_idx index equal to the count', 'names: [a]\nkpt_shape: [2, 3]\nflip_idx: [1, 2]', 'line 3', 'flip_idx must list 2 keypoint indices from 0 to 1'],
    ['a negative flip_idx index', 'names: [a]\nkpt_shape: [2, 3]\nflip_idx: [-1, 0]', 'line 3', 'flip_idx must list 2 keypoint indices from 0 to 1'],
    ['a fractional flip_idx index', 'names: [a]\nkpt_shape: [2, 3]\nflip_idx: [0.5, 0]', 'line 3', 'flip_idx must list 2 keypoint indices from 0 to 1'],
    ['a flip_idx index that is text', 'names: [a]\nkpt_shape: [2, 3]\nflip_idx: [a, 0]', 'line 3', 'flip_idx must list 2 keypoint indices from 0 to 1'],
    ['a path that is a number', 'names: [a]\npath: 5', 'line 2', 'path must be a folder'],
    ['a split entry that is a list', 'names: [a]\nval:\n  - a\n  - [b]', 'line 4', 'val must be a path or a list of paths'],
    ['a split that is a boolean', 'names: [a]\ntest: yes', 'line 2', 'test must be a path or a list of paths'],
    ['a split entry that is null', 'names: [a]\ntrain:\n  - a\n  - ~', 'line 4', 'train must be a path or a list of paths'],
  ];
  for (const [what, text, where, problem] of bad) {
    it(`refuses ${what}`, () => {
      const e = refusal(() => parseYoloDataYaml(text, 'ds/data.yaml'));
      expect([e.file, e.where, e.problem]).toEqual(['ds/data.yaml', where, problem]);
    });
  }
});
