import { formatObject, golden as goldenText } from '../../test/formats-testkit.js';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Geometry } from '../api/contract.js';
import { encodeRle } from '../geometry/rle.js';
import { mulberry32 } from '../random.js';
import { compareObjects } from './compare.js';
import { ExportTally, FormatError, type FormatObject, type FormatRecord } from './types.js';
import {
  flipIdxFromNames,
  formatYoloNumber,
  holdYolo,
  parseYoloDataYaml,
  parseYoloLabel,
  YOLO_SCORE_PRECISION,
  yoloDataYaml,
  yoloLabelText,
  yoloPrecisionPx,
  yoloTask,
  type YoloLabelContext,
  type YoloOptions,
} from './yolo.js';

const golden = (name: string) => goldenText('yolo', name);

const NAMES = ['person', 'car', 'dog'];
const classIndex = new Map(NAMES.map((n, i) => [n, i]));

const obj = formatObject;

/** A 3×2 block of pixels, columns 2–4, rows 1–2, in a 200×100 image (column-major counts worked by hand). */
const MASK: Geometry = { type: 'mask', width: 200, height: 100, counts: [201, 2, 98, 2, 98, 2, 19597] };

/** The record behind the golden label files: 200×100, every kind, and what YOLO cannot hold. */
function goldenRecord(): FormatRecord {
  return {
    image: { id: 7, file: 'street/0001.jpg', width: 200, height: 100 },
    objects: [
      obj('car', { type: 'box', x: 20, y: 10, w: 40, h: 30 }),
      obj('person', { type: 'box', x: 0, y: 0, w: 200, h: 100 }),
      obj('person', { type: 'box', x: 33.3, y: 12.345, w: 10, h: 5 }),
      obj('dog', { type: 'box', x: -10, y: 90, w: 30, h: 20 }), // clipped to x 0…20, y 90…100
      obj('car', { type: 'polygon', points: [10, 10, 50, 10, 30, 40] }),
      obj('dog', MASK),
      obj(null, { type: 'caption', text: 'a street' }),
      obj('car', { type: 'tag' }),
      obj(null, { type: 'box', x: 1, y: 1, w: 2, h: 2 }),
      obj('person', { type: 'keypoints', points: [100, 50, 2] }),
    ],
  };
}

describe('YOLO label files (golden, worked by hand)', () => {
  it('writes each object in its own form when no layout is given', () => {
    const tally = new ExportTally();
    expect(yoloLabelText(goldenRecord(), classIndex, tally, { kptShape: null })).toBe(golden('mixed.txt'));
    expect(Object.fromEntries(tally.notExported)).toEqual({
      'captions (YOLO labels hold none)': 1,
      'image tags (YOLO labels hold none)': 1,
      'shapes without a class (YOLO needs a class id on every line)': 1,
      'keypoints (data.yaml has no kpt_shape)': 1,
    });
    expect(Object.fromEntries(tally.changed)).toEqual({
      'coordinates clipped to the image (YOLO coordinates are 0…1)': 1,
      'masks written as their largest outer outline (other parts and holes dropped)': 1,
    });
  });

  it('writes boxes as 4-corner polygons in the segment layout', () => {
    const tally = new ExportTally();
    expect(yoloLabelText(goldenRecord(), classIndex, tally, { kptShape: null, task: 'segment' })).toBe(golden('segment.txt'));
    expect(tally.changed.get('boxes written as 4-corner polygons (YOLO segment layout)')).toBe(4);
    expect(tally.notExported.get('keypoints (only the YOLO pose layout, with kpt_shape, holds them)')).toBe(1);
  });

  it('writes polygons and masks as their boxes in the detect layout', () => {
    const tally = new ExportTally();
    expect(yoloLabelText(goldenRecord(), classIndex, tally, { kptShape: null, task: 'detect' })).toBe(golden('detect.txt'));
    expect(tally.changed.get('polygons written as their bounding box (YOLO detect layout)')).toBe(1);
    expect(tally.changed.get('masks written as their bounding box (YOLO detect layout)')).toBe(1);
  });

  const poseRecord = (): FormatRecord => ({
    image: { id: 8, file: 'pose.jpg', width: 200, height: 100 },
    objects: [
      // nose visible, left_eye occluded, right_eye absent (its position carries nothing)
      obj('person', { type: 'keypoints', points: [100, 50, 2, 90, 40, 1, 5, 5, 0] }),
      // made before the template had right_eye: padded with 0 0 0
      obj('person', { type: 'keypoints', points: [20, 20, 2, 30, 10, 2] }),
      obj('car', { type: 'box', x: 1, y: 1, w: 5, h: 5 }),
    ],
  });

  it('writes pose lines: the box is the labeled points’ extent, points padded to kpt_shape', () => {
    const tally = new ExportTally();
    expect(yoloLabelText(poseRecord(), classIndex, tally, { kptShape: [3, 3] })).toBe(golden('pose.txt'));
    expect(tally.notExported.get('boxes, polygons and masks in a YOLO pose dataset (every line there needs kpt_shape points)')).toBe(1);
  });

  it('writes pose lines without visibility for kpt_shape [n, 2]', () => {
    const tally = new ExportTally();
    expect(yoloLabelText(poseRecord(), classIndex, tally, { kptShape: [3, 2] })).toBe(golden('pose2d.txt'));
    expect(tally.changed.get('occluded keypoints written as visible (kpt_shape [n, 2] has no visibility)')).toBe(1);
  });

  it('appends the score for a predictions run', () => {
    const rec: FormatRecord = {
      image: { id: 9, file: 'p.jpg', width: 200, height: 100 },
      objects: [obj('car', { type: 'box', x: 20, y: 10, w: 40, h: 30 }, { score: 0.87654321 }), obj('person', { type: 'box', x: 0, y: 0, w: 200, h: 100 }, { score: 0.5 })],
    };
    expect(yoloLabelText(rec, classIndex, new ExportTally(), { kptShape: null, withScore: true })).toBe(golden('predictions.txt'));
  });

  it('reads the golden files back as what hold says they keep', () => {
    const rec = goldenRecord();
    const cases: [string, YoloOptions][] = [
      ['mixed.txt', { kptShape: null }],
      ['segment.txt', { kptShape: null, task: 'segment' }],
      ['detect.txt', { kptShape: null, task: 'detect' }],
    ];
    for (const [file, opts] of cases) {
      const expected = rec.objects.map((o) => holdYolo(o, rec.image, opts)).filter((h) => typeof h !== 'string').flat();
      const parsed = parseYoloLabel(golden(file), file, { names: NAMES, width: 200, height: 100, kptShape: null });
      expect(compareObjects(file, expected, parsed, yoloPrecisionPx(rec.image))).toEqual([]);
    }
    const pose = parseYoloLabel(golden('pose.txt'), 'pose.txt', { names: NAMES, width: 200, height: 100, kptShape: [3, 3] });
    expect(pose.map((p) => [p.class, p.geometry, p.where])).toEqual([
      ['person', { type: 'keypoints', points: [100, 50, 2, 90, 40, 1, 0, 0, 0] }, 'line 1'],
      ['person', { type: 'keypoints', points: [20, 20, 2, 30, 10, 2, 0, 0, 0] }, 'line 2'],
    ]);
    const pose2 = parseYoloLabel(golden('pose2d.txt'), 'pose2d.txt', { names: NAMES, width: 200, height: 100, kptShape: [3, 2] });
    expect(pose2[0].geometry).toEqual({ type: 'keypoints', points: [100, 50, 2, 90, 40, 2, 0, 0, 0] });
    const preds = parseYoloLabel(golden('predictions.txt'), 'predictions.txt', { names: NAMES, width: 200, height: 100, kptShape: null, withScore: true });
    expect(preds.map((p) => p.score)).toEqual([0.876543, 0.5]);
  });

  it('formats numbers with 6 decimals, trailing zeros trimmed', () => {
    expect([0, 1, 0.5, 0.1234564, 0.1234565001, 1e-7, -0, 0.25].map(formatYoloNumber)).toEqual(['0', '1', '0.5', '0.123456', '0.123457', '0', '0', '0.25']);
  });
});

describe('yoloTask and flipIdxFromNames', () => {
  it('picks the layout that keeps the most', () => {
    expect(yoloTask(['box'], null)).toBe('detect');
    expect(yoloTask(['box', 'polygon'], null)).toBe('segment');
    expect(yoloTask(['mask', 'caption'], null)).toBe('segment');
    expect(yoloTask(['box', 'keypoints'], [17, 3])).toBe('pose');
    expect(yoloTask(['box'], [17, 3])).toBe('detect');
  });

  it('pairs left and right keypoints', () => {
    expect(flipIdxFromNames(['nose', 'left_eye', 'right_eye', 'LeftHand', 'RightHand', 'LEFT', 'RIGHT', 'left_only'])).toEqual([0, 2, 1, 4, 3, 6, 5, 7]);
  });
});

// ---------------------------------------------------------------- round trips over random records

function randomRecord(rand: () => number, templateLength: number): FormatRecord {
  const W = 10 + Math.floor(rand() * (rand() < 0.2 ? 5000 : 300));
  const H = 10 + Math.floor(rand() * (rand() < 0.2 ? 5000 : 300));
  const objects: FormatObject[] = [];
  const cls = () => (rand() < 0.05 ? null : NAMES[Math.floor(rand() * NAMES.length)]);
  const coord = (side: number) => rand() * side * 1.2 - side * 0.1; // some outside the image
  const extra = (): Partial<FormatObject> => ({ attributes: rand() < 0.2 ? { occluded: true } : {}, score: rand() < 0.5 ? Math.round(rand() * 1e8) / 1e8 : null });
  for (let n = Math.floor(rand() * 8); n > 0; n--) {
    const r = rand();
    if (r < 0.3) {
      const x = coord(W), y = coord(H);
      objects.push(obj(cls(), { type: 'box', x, y, w: rand() * W * 0.5, h: rand() * H * 0.5 }, extra()));
    } else if (r < 0.5) {
      const k = 3 + Math.floor(rand() * 10);
      objects.push(obj(cls(), { type: 'polygon', points: Array.from({ length: 2 * k }, (_, i) => coord(i % 2 ? H : W)) }, extra()));
    } else if (r < 0.65 && W * H <= 400 * 400) {
      const m = new Uint8Array(W * H);
      for (let b = 1 + Math.floor(rand() * 3); b > 0; b--) {
        const x0 = Math.floor(rand() * W), y0 = Math.floor(rand() * H);
        const x1 = Math.min(W, x0 + 1 + Math.floor(rand() * 20)), y1 = Math.min(H, y0 + 1 + Math.floor(rand() * 20));
        for (let y = y0; y < y1; y++) m.fill(1, y * W + x0, y * W + x1);
      }
      if (rand() < 0.1) m.fill(0);
      objects.push(obj(cls(), { type: 'mask', ...encodeRle(m, W, H) }, extra()));
    } else if (r < 0.85) {
      const k = 1 + Math.floor(rand() * templateLength);
      const points: number[] = [];
      for (let i = 0; i < k; i++) {
        const v = [0, 1, 2, 2][Math.floor(rand() * 4)];
        points.push(rand() < 0.05 ? 0 : coord(W), rand() < 0.05 ? 0 : coord(H), v);
      }
      objects.push(obj(cls(), { type: 'keypoints', points }, extra()));
    } else if (r < 0.93) objects.push(obj(null, { type: 'caption', text: 'words' }));
    else objects.push(obj(cls(), { type: 'tag' }));
  }
  return { image: { id: 1, file: 'x.jpg', width: W, height: H }, objects };
}

describe('YOLO round trips (property: parse(write(r)) equals hold(r) within the precision)', () => {
  const layouts: [string, YoloOptions][] = [
    ['own form', { kptShape: null }],
    ['detect', { kptShape: null, task: 'detect' }],
    ['segment', { kptShape: null, task: 'segment' }],
    ['pose [5, 3]', { kptShape: [5, 3] }],
    ['pose [5, 2]', { kptShape: [5, 2], task: 'pose' }],
    ['own form, predictions', { kptShape: null, withScore: true }],
    ['pose, predictions', { kptShape: [5, 3], withScore: true }],
  ];
  for (const [name, opts] of layouts) {
    it(`${name}: 300 random images`, () => {
      const rand = mulberry32(name.length * 7919 + 1);
      let lines = 0;
      for (let n = 0; n < 300; n++) {
        const rec = randomRecord(rand, 6);
        const tally = new ExportTally();
        const text = yoloLabelText(rec, classIndex, tally, opts);
        const expected = rec.objects.map((o) => holdYolo(o, rec.image, { ...opts, classIndex })).filter((h) => typeof h !== 'string').flat();
        const parsed = parseYoloLabel(text, 'x.txt', { names: NAMES, width: rec.image.width, height: rec.image.height, kptShape: opts.kptShape, task: opts.task, withScore: opts.withScore });
        expect(compareObjects(`image ${n}`, expected, parsed, yoloPrecisionPx(rec.image), YOLO_SCORE_PRECISION)).toEqual([]);
        // What Ultralytics' loader checks: normalised values, and one line shape per layout.
        for (const line of text.split('\n').filter(Boolean)) {
          lines++;
          const v = line.split(' ').map(Number);
          const coords = v.slice(1, opts.withScore ? -1 : undefined);
          const isVisibility = (k: number) => opts.kptShape?.[1] === 3 && k >= 4 && (k - 4) % 3 === 2;
          expect(coords.every((x, k) => (isVisibility(k) ? [0, 1, 2].includes(x) : x >= 0 && x <= 1))).toBe(true);
          if (opts.task === 'detect') expect(coords.length).toBe(4);
          if (opts.task === 'segment') expect(coords.length).toBeGreaterThanOrEqual(6);
          if (opts.kptShape) expect(coords.length).toBe(4 + opts.kptShape[0] * opts.kptShape[1]);
        }
        // Everything is either written or counted.
        const skipped = [...tally.notExported.values()].reduce((a, b) => a + b, 0);
        expect(parsed.length + skipped).toBe(rec.objects.length);
      }
      expect(lines).toBeGreaterThan(100);
    });
  }
});

// ---------------------------------------------------------------- bad input

describe('parseYoloLabel: bad input names the line', () => {
  const ctx: YoloLabelContext = { names: NAMES, width: 100, height: 50, kptShape: null };
  const cases: [string, string, Partial<YoloLabelContext>, number, RegExp][] = [
    ['a class id out of range', '0 0.5 0.5 0.1 0.1\n3 0.5 0.5 0.1 0.1', {}, 2, /class id 3 is out of range: data.yaml names 3 classes \(0 to 2\)/],
    ['a class id that is not whole', '1.5 0.5 0.5 0.1 0.1', {}, 1, /class id "1.5" is not a whole number/],
    ['a negative class id', '-1 0.5 0.5 0.1 0.1', {}, 1, /not a whole number/],
    ['a value that is not a number', '0 0.5 abc 0.1 0.1', {}, 1, /value 3 "abc" is not a number/],
    ['NaN', '\n\n0 nan 0.5 0.1 0.1', {}, 3, /value 2 "nan" is not a number/],
    ['a value above 1', '0 0.5 1.2 0.1 0.1', {}, 1, /y centre is 1.2, outside 0…1/],
    ['a negative value', '0 0.5 0.5 -0.1 0.1', {}, 1, /width is -0.1, outside 0…1/],
    ['a polygon value outside', '0 0.1 0.1 0.2 0.1 0.2 7', {}, 1, /point 3's y is 7/],
    ['an odd polygon count', '0 0.1 0.1 0.2 0.1 0.2', {}, 1, /odd count/],
    ['a 2-value line', '0 0.1 0.1', {}, 1, /at least 3 points/],
    ['a class alone', '0', {}, 1, /at least 3 points/],
    ['a pose line of the wrong length', '0 0.5 0.5 0.1 0.1 0.5 0.5 2', { kptShape: [2, 3] }, 1, /10 values.*got 7/],
    ['a pose visibility that is not 0, 1, 2', '0 0.5 0.5 0.1 0.1 0.5 0.5 0.7', { kptShape: [1, 3] }, 1, /visibility is 0.7/],
    ['a keypoint outside', '0 0.5 0.5 0.1 0.1 1.5 0.5 2', { kptShape: [1, 3] }, 1, /keypoint 1's x is 1.5/],
    ['a predictions line with no score', '0', { withScore: true }, 1, /no score|at least 3 points/],
  ];
  for (const [what, text, extra, line, message] of cases) {
    it(`refuses ${what}`, () => {
      let err: unknown = null;
      try {
        parseYoloLabel(text, 'labels/a.txt', { ...ctx, ...extra });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FormatError);
      const fe = err as FormatError;
      expect(fe.file).toBe('labels/a.txt');
      expect(fe.where).toBe(`line ${line}`);
      expect(fe.problem).toMatch(message);
    });
  }

  it('accepts values a hair outside [0, 1], blank lines, CRLF and "1.0" class ids', () => {
    const out = parseYoloLabel('\r\n1.0 0.5 0.5 1.00001 0.5\r\n\r\n', 'a.txt', ctx);
    expect(out).toHaveLength(1);
    expect(out[0].class).toBe('car');
    expect(out[0].where).toBe('line 2');
  });

  it('needs kpt_shape for a pose dataset', () => {
    expect(() => parseYoloLabel('0 0.5 0.5 0.1 0.1', 'a.txt', { ...ctx, task: 'pose' })).toThrow(/kpt_shape/);
  });
});

// ---------------------------------------------------------------- data.yaml

describe('data.yaml', () => {
  it('writes the golden file: names in class order as index: name, quoted where YAML would change them', () => {
    expect(yoloDataYaml({ names: ['person', 'car', 'yes', 'traffic: light'], kptShape: [3, 3], splits: { train: 'images/train', val: 'images/val' }, flipIdx: [0, 2, 1] })).toBe(golden('data.yaml'));
  });

  it('reads the golden file back', () => {
    expect(parseYoloDataYaml(golden('data.yaml'), 'data.yaml')).toEqual({
      names: ['person', 'car', 'yes', 'traffic: light'],
      kptShape: [3, 3],
      flipIdx: [0, 2, 1],
      path: null,
      splits: { train: ['images/train'], val: ['images/val'] },
    });
  });

  it('reads another tool’s file: names as a list, paths as a list, "validation"', () => {
    expect(parseYoloDataYaml(golden('foreign-data.yaml'), 'foreign-data.yaml')).toEqual({
      names: ['apple', 'orange # not a comment', 'kiwi: green'],
      kptShape: null,
      flipIdx: null,
      path: '/data/fruit',
      splits: { train: ['images/train2017', 'images/extra'], val: ['images/val2017'] },
    });
  });

  it('writes val as train when there is no split, and leaves path out unless given', () => {
    const text = yoloDataYaml({ names: ['a'], kptShape: null, splits: { train: 'images' } });
    expect(parseYoloDataYaml(text, 'd.yaml')).toEqual({ names: ['a'], kptShape: null, flipIdx: null, path: null, splits: { train: ['images'], val: ['images'] } });
    expect(text).not.toMatch(/^path:/m);
    expect(yoloDataYaml({ names: [], kptShape: null, splits: { train: 'i' }, path: '/abs' })).toMatch(/^path: \/abs$/m);
  });

  it('round-trips random class names (property)', () => {
    const rand = mulberry32(3);
    const pool = ['a', 'B', '1', ' ', ':', '#', "'", '"', '\\', '-', '[', '{', ',', '&', '*', '!', '|', '?', 'é', '😀', '~', '.', 'yes', 'null', '\t'];
    for (let n = 0; n < 200; n++) {
      const names = Array.from({ length: 1 + Math.floor(rand() * 6) }, (_, i) => `${Array.from({ length: 1 + Math.floor(rand() * 5) }, () => pool[Math.floor(rand() * pool.length)]).join('')}${i}`);
      const kpt = rand() < 0.5 ? null : ([1 + Math.floor(rand() * 20), rand() < 0.5 ? 2 : 3] as [number, number]);
      const splits = { train: 'images/train', val: 'images/val', test: rand() < 0.5 ? 'images/test' : undefined };
      const back = parseYoloDataYaml(yoloDataYaml({ names, kptShape: kpt, splits }), 'd.yaml');
      expect(back.names).toEqual(names);
      expect(back.kptShape).toEqual(kpt);
    }
  });

  it('names from nc alone, and Python’s str() of non-string names', () => {
    expect(parseYoloDataYaml('train: a\nval: a\nnc: 2', 'd.yaml').names).toEqual(['class_0', 'class_1']);
    expect(parseYoloDataYaml('names: [yes, ~, 7, 1.5]', 'd.yaml').names).toEqual(['True', 'None', '7', '1.5']);
  });

  const bad: [string, string, string | null, RegExp][] = [
    ['YAML it cannot read', 'train: a\nnames: &n [a]', 'line 2', /anchors/],
    ['a document that is not a mapping', '- a\n- b', null, /must be a mapping/],
    ['neither names nor nc', 'train: a', null, /neither names nor nc/],
    ['nc that disagrees with names', 'names: [a, b]\nnc: 3', 'line 2', /nc is 3 but names lists 2/],
    ['names keys that are not indices', 'names:\n  0: a\n  x: b', 'line 3', /"x" is not a class index/],
    ['names keys with a gap', 'names:\n  0: a\n  2: b', 'line 3', /keys must be 0 to 1; got 2/],
    ['a name that is a list', 'names:\n  - a\n  - [b]', 'line 3', /names\[1\] is not a class name/],
    ['an empty name', "names: ['a', '']", 'line 1', /class 1 has an empty name/],
    ['names that is a string', 'names: abc', 'line 1', /list of class names or a mapping/],
    ['a kpt_shape that is not [n, 2|3]', 'names: [a]\nkpt_shape: [17, 4]', 'line 2', /kpt_shape must be/],
    ['flip_idx of the wrong length', 'names: [a]\nkpt_shape: [3, 3]\nflip_idx: [0, 1]', 'line 3', /flip_idx must list 3/],
    ['flip_idx without kpt_shape', 'names: [a]\nflip_idx: [0]', 'line 2', /without kpt_shape/],
    ['a path that is a mapping', 'names: [a]\ntrain: {a: 1}', 'line 2', /train must be a path/],
  ];
  for (const [what, text, where, message] of bad) {
    it(`refuses ${what}`, () => {
      let err: unknown = null;
      try {
        parseYoloDataYaml(text, 'ds/data.yaml');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FormatError);
      expect((err as FormatError).file).toBe('ds/data.yaml');
      expect((err as FormatError).where).toBe(where);
      expect((err as FormatError).problem).toMatch(message);
    });
  }
});

const pyyaml = spawnSync('python3', ['-c', 'import yaml'], { encoding: 'utf8' }).status === 0 ? null : 'python3 with PyYAML is not available here';
if (pyyaml) console.log(`yolo.test: the PyYAML check of data.yaml is skipped: ${pyyaml}`);

describe.skipIf(pyyaml !== null)('data.yaml as Ultralytics reads it (PyYAML safe_load)', () => {
  it('gives the names, kpt_shape and splits we wrote', () => {
    const text = yoloDataYaml({ names: ['person', 'yes', 'on', '1', 'a: b', "it's", 'é'], kptShape: [17, 3], splits: { train: 'images/train', val: ['images/val', 'images/extra'] }, flipIdx: flipIdxFromNames(Array.from({ length: 17 }, (_, i) => `p${i}`)) });
    const r = spawnSync('python3', ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))'], { input: text, encoding: 'utf8' });
    expect(r.status).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.names).toEqual({ '0': 'person', '1': 'yes', '2': 'on', '3': '1', '4': 'a: b', '5': "it's", '6': 'é' });
    expect(d.kpt_shape).toEqual([17, 3]);
    expect(d.nc).toBe(7);
    expect(d.train).toBe('images/train');
    expect(d.val).toEqual(['images/val', 'images/extra']);
    expect(d.path).toBeUndefined();
  });
});
