import { formatObject, refusal } from '../../test/formats-testkit.js';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { polygonToMask } from '../geometry/polygon.js';
import { decodeRle, encodeRle } from '../geometry/rle.js';
import { compareObjects } from './compare.js';
import {
  classesTxt,
  holdSemantic,
  holdVocImage,
  instanceMap,
  masksFromInstanceMap,
  masksFromSemanticMap,
  parseClassesTxt,
  semanticMap,
  semanticSkipReason,
  vocPalette,
} from './masks.js';
import { decodePng, encodePng } from './png.js';
import { mergeVocSegmentation, parseVocXml, vocAnnotationXml } from './voc.js';
import { ExportTally, FormatError, type FormatObject, type FormatRecord } from './types.js';
import { testZlib as zlib } from './test-helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.join(here, 'testdata', 'masks');


const obj = (cls: string | null, geometry: FormatObject['geometry'], attributes: FormatObject['attributes'] = {}): FormatObject =>
  formatObject(cls, geometry, { attributes });

const rows = (...r: number[][]) => Uint8Array.from(r.flat());

/**
 * The hand-worked 6×4 image. Classes: cat (index 0 → value 1), dog (1 → 2), void (2, the ignore class → 255).
 *   catBig    polygon x 0…4, y 0…3: pixel centres x 0.5…3.5, y 0.5…2.5 → columns 0-3, rows 0-2 (area 12)
 *   catSquare polygon x 3…5, y 1…3 → columns 3-4, rows 1-2 (area 4)
 *   dogMask   mask of the same four pixels (area 4, later in the record: on top of catSquare, hiding it)
 *   voidCol   polygon x 5…6, y 0…4 → column 5 (area 4)
 *   dogSmall  polygon x 0…2, y 3…4 → columns 0-1, row 3 (area 2)
 *   catBox    a box: not painted
 */
function handRecord(): FormatRecord {
  const dogPixels = new Uint8Array(24);
  for (const [x, y] of [[3, 1], [4, 1], [3, 2], [4, 2]]) dogPixels[y * 6 + x] = 1;
  return {
    image: { id: 1, file: 'hand.png', width: 6, height: 4 },
    objects: [
      obj('cat', { type: 'polygon', points: [0, 0, 4, 0, 4, 3, 0, 3] }, { difficult: true }),
      obj('cat', { type: 'polygon', points: [3, 1, 5, 1, 5, 3, 3, 3] }),
      obj('dog', { type: 'mask', ...encodeRle(dogPixels, 6, 4) }),
      obj('void', { type: 'polygon', points: [5, 0, 6, 0, 6, 4, 5, 4] }),
      obj('dog', { type: 'polygon', points: [0, 3, 2, 3, 2, 4, 0, 4] }),
      obj('cat', { type: 'box', x: 1, y: 1, w: 2, h: 2 }),
    ],
  };
}
const CLASSES = new Map([['cat', 0], ['dog', 1], ['void', 2]]);
const HAND_SEMANTIC = rows(
  [1, 1, 1, 1, 0, 255],
  [1, 1, 1, 2, 2, 255],
  [1, 1, 1, 2, 2, 255],
  [2, 2, 0, 0, 0, 255],
);
// XML objects: catBig 1, catSquare 2 (hidden), dogMask 3, dogSmall 4, catBox 5 (void is not an object).
const HAND_INSTANCE = rows(
  [1, 1, 1, 1, 0, 255],
  [1, 1, 1, 3, 3, 255],
  [1, 1, 1, 3, 3, 255],
  [4, 4, 0, 0, 0, 255],
);

describe('vocPalette', () => {
  it('is the devkit colour map', () => {
    const p = vocPalette();
    const at = (i: number) => Array.from(p.subarray(i * 3, i * 3 + 3));
    expect(p).toHaveLength(768);
    expect(at(0)).toEqual([0, 0, 0]);
    expect(at(1)).toEqual([128, 0, 0]); // aeroplane
    expect(at(2)).toEqual([0, 128, 0]);
    expect(at(3)).toEqual([128, 128, 0]);
    expect(at(4)).toEqual([0, 0, 128]);
    expect(at(8)).toEqual([64, 0, 0]);
    expect(at(15)).toEqual([192, 128, 128]); // person
    expect(at(20)).toEqual([0, 64, 128]); // tvmonitor
    expect(at(255)).toEqual([224, 224, 192]); // void
    const seen = new Set<string>();
    for (let i = 0; i < 256; i++) seen.add(at(i).join());
    expect(seen.size).toBe(256);
  });
});

describe('the hand-worked 6×4 image', () => {
  if (process.env.REGEN_GOLDEN) {
    it('regenerates the golden files', () => {
      mkdirSync(dir, { recursive: true });
      const rec = handRecord();
      writeFileSync(path.join(dir, 'SegmentationClass_6x4.png'), encodePng({ width: 6, height: 4, channels: 1, data: semanticMap(rec, CLASSES, { ignoreClass: 'void' }), palette: vocPalette() }, zlib));
      writeFileSync(path.join(dir, 'SegmentationObject_6x4.png'), encodePng({ width: 6, height: 4, channels: 1, data: instanceMap(rec, { ignoreClass: 'void' }), palette: vocPalette() }, zlib));
      writeFileSync(path.join(dir, 'Annotations_6x4.xml'), vocAnnotationXml(rec, { folder: 'VOC', filename: 'hand.png', depth: 3, ignoreClass: 'void' }, new ExportTally()));
      writeFileSync(path.join(dir, 'classes.txt'), classesTxt(['cat', 'dog', 'void']));
    });
  }

  it('paints the class map pixel for pixel, larger shapes first, and reports the hidden shape', () => {
    const tally = new ExportTally();
    expect(Array.from(semanticMap(handRecord(), CLASSES, { ignoreClass: 'void', tally }))).toEqual(Array.from(HAND_SEMANTIC));
    expect(tally.lines()).toEqual(['not exported: 1 × polygons or masks hidden entirely under smaller shapes in the segmentation PNGs']);
  });

  it('paints the instance map as the XML lists the objects', () => {
    expect(Array.from(instanceMap(handRecord(), { ignoreClass: 'void' }))).toEqual(Array.from(HAND_INSTANCE));
    const xml = parseVocXml(readFileSync(path.join(dir, 'Annotations_6x4.xml'), 'utf8'), 'Annotations_6x4.xml');
    expect(xml.objects.map((o) => o.class)).toEqual(['cat', 'cat', 'dog', 'dog', 'cat']);
    // Worked by hand: catBig extent 0…4 × 0…3 → 1 1 4 3; catSquare and dogMask → 4 2 5 3; dogSmall → 1 4 2 4;
    // catBox (1, 1, 2×2) → 2 2 3 3. Read back as x = xmin - 1, w = xmax - xmin + 1.
    expect(xml.objects.map((o) => o.geometry)).toEqual([
      { type: 'box', x: 0, y: 0, w: 4, h: 3 },
      { type: 'box', x: 3, y: 1, w: 2, h: 2 },
      { type: 'box', x: 3, y: 1, w: 2, h: 2 },
      { type: 'box', x: 0, y: 3, w: 2, h: 1 },
      { type: 'box', x: 1, y: 1, w: 2, h: 2 },
    ]);
  });

  it('the golden PNGs hold those maps with the VOC palette (ours and sharp agree)', async () => {
    for (const [f, want] of [['SegmentationClass_6x4.png', HAND_SEMANTIC], ['SegmentationObject_6x4.png', HAND_INSTANCE]] as const) {
      const bytes = new Uint8Array(readFileSync(path.join(dir, f)));
      const img = decodePng(bytes, zlib, f);
      expect(Array.from(img.data)).toEqual(Array.from(want));
      expect(Array.from(img.palette!)).toEqual(Array.from(vocPalette()));
      const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
      const pal = vocPalette();
      for (let i = 0; i < 24; i++) {
        expect(Array.from(data.subarray(i * info.channels, i * info.channels + 3))).toEqual(Array.from(pal.subarray(want[i] * 3, want[i] * 3 + 3)));
      }
    }
  });

  it('classes.txt names value k on line k', () => {
    const text = readFileSync(path.join(dir, 'classes.txt'), 'utf8');
    expect(text).toBe('_background_\ncat\ndog\nvoid\n');
    expect(classesTxt([{ name: 'cat', index: 0, categoryId: 1, keypoints: null }])).toBe('_background_\ncat\n');
    expect(parseClassesTxt(text, 'classes.txt')).toEqual(['cat', 'dog', 'void']);
  });

  it('reads the class map back as one mask per class, the ignore class last', () => {
    const got = masksFromSemanticMap(HAND_SEMANTIC, 6, 4, ['cat', 'dog', 'void'], { ignoreClass: 'void' });
    expect(got.map((o) => [o.class, o.where, Array.from(decodeRle(o.geometry as never))])).toEqual([
      ['cat', 'value 1', Array.from(HAND_SEMANTIC, (v) => +(v === 1))],
      ['dog', 'value 2', Array.from(HAND_SEMANTIC, (v) => +(v === 2))],
      ['void', 'value 255', Array.from(HAND_SEMANTIC, (v) => +(v === 255))],
    ]);
    // Without an ignore class 255 is VOC's boundary: not an object.
    expect(masksFromSemanticMap(HAND_SEMANTIC, 6, 4, ['cat', 'dog']).map((o) => o.class)).toEqual(['cat', 'dog']);
    expect(compareObjects('hand', holdSemantic(handRecord(), CLASSES, { ignoreClass: 'void' }) as never, got, 0, 0)).toEqual([]);
  });

  it('reads the instance map back with each instance\'s class', () => {
    const got = masksFromInstanceMap(HAND_INSTANCE, HAND_SEMANTIC, 6, 4, ['cat', 'dog', 'void']);
    expect(got.map((o) => [o.instance, o.class, Array.from(decodeRle(o.geometry as never))])).toEqual([
      [1, 'cat', Array.from(HAND_INSTANCE, (v) => +(v === 1))],
      [3, 'dog', Array.from(HAND_INSTANCE, (v) => +(v === 3))],
      [4, 'dog', Array.from(HAND_INSTANCE, (v) => +(v === 4))],
    ]);
  });

  it('a VOC export of it reads back (XML + PNGs through mergeVocSegmentation) as holdVocImage says', () => {
    const rec = handRecord();
    const held = holdVocImage(rec, { ignoreClass: 'void' });
    expect(held.map((h) => (typeof h.held === 'string' ? h.held : h.held.map((o) => o.kind).join()))).toEqual([
      'mask', 'box', 'mask', 'ignore-class regions: VOC holds them only as void (255) in the segmentation PNGs', 'mask', 'box',
    ]);
    const xml = parseVocXml(readFileSync(path.join(dir, 'Annotations_6x4.xml'), 'utf8'), 'Annotations_6x4.xml');
    const inst = decodePng(new Uint8Array(readFileSync(path.join(dir, 'SegmentationObject_6x4.png'))), zlib);
    const cls = decodePng(new Uint8Array(readFileSync(path.join(dir, 'SegmentationClass_6x4.png'))), zlib);
    const merged = mergeVocSegmentation(xml.objects, inst, cls, 'Annotations_6x4.xml');
    const expected = held.flatMap((h) => (typeof h.held === 'string' ? [] : h.held));
    expect(compareObjects('hand', expected, merged, 0, 0)).toEqual([]);
    expect(merged[0].attributes).toEqual({ difficult: true });
    // catSquare is hidden: it comes back as its XML box (x 3…5, y 1…3).
    expect(merged[1].geometry).toEqual({ type: 'box', x: 3, y: 1, w: 2, h: 2 });
  });
});

describe('painting', () => {
  const image = { id: 1, file: 'a.png', width: 8, height: 8 };
  it('paints polygons exactly as polygonToMask rasterises them, and skips what is not a region', () => {
    const points = [0.3, 0.2, 7.6, 1.4, 5.2, 7.9, 1.1, 6.2];
    const rec = { image, objects: [obj('a', { type: 'polygon', points }), obj('a', { type: 'box', x: 0, y: 0, w: 8, h: 8 }), obj(null, { type: 'polygon', points: [0, 0, 8, 0, 8, 8] })] };
    expect(Array.from(semanticMap(rec, new Map([['a', 0]])))).toEqual(Array.from(polygonToMask(points, 8, 8)));
    expect(semanticSkipReason(rec.objects[1], image)).toMatch(/boxes/);
    expect(semanticSkipReason(rec.objects[2], image)).toMatch(/without a class/);
    expect(semanticSkipReason(rec.objects[0], image)).toBeNull();
  });

  it('counts shapes too thin to paint, masks of another size, and classes past 254', () => {
    const tally = new ExportTally();
    const classes = new Map([['a', 0], ['z', 254]]);
    const rec = {
      image,
      objects: [
        obj('a', { type: 'polygon', points: [1, 1, 1.2, 1, 1.2, 5] }),
        obj('a', { type: 'mask', width: 4, height: 4, counts: [16] }),
        obj('z', { type: 'polygon', points: [0, 0, 8, 0, 8, 8] }),
      ],
    };
    expect(semanticMap(rec, classes, { tally }).every((v) => v === 0)).toBe(true);
    expect(Object.fromEntries(tally.changed)).toEqual({ 'polygons too thin to cover a pixel centre: nothing to paint in the segmentation PNGs': 1 });
    expect(Object.fromEntries(tally.notExported)).toEqual({
      'masks whose size differs from the image': 1,
      'shapes of classes past the 254th: an 8-bit segmentation PNG holds 254 classes': 1,
    });
  });

  it('leaves shapes of classes past the 254th out of the instance map too, so instances always lie on their class', () => {
    const classes = new Map([['a', 0], ['z', 254]]);
    const rec = { image, objects: [obj('z', { type: 'polygon', points: [0, 0, 8, 0, 8, 8] }), obj('a', { type: 'polygon', points: [0, 0, 2, 0, 2, 2, 0, 2] })] };
    const inst = instanceMap(rec, { classIndex: classes });
    expect(new Set(inst)).toEqual(new Set([0, 2]));
    const cls = semanticMap(rec, classes);
    const png = (data: Uint8Array) => ({ width: 8, height: 8, channels: 1, data });
    const merged = mergeVocSegmentation(parseVocXml(vocAnnotationXml(rec, { folder: 'f', filename: 'a.png', depth: 3 }, new ExportTally()), 'a.xml').objects, png(inst), png(cls), 'a.xml');
    const held = holdVocImage(rec, { classIndex: classes }).flatMap((h) => (typeof h.held === 'string' ? [] : h.held));
    expect(merged.map((o) => o.kind)).toEqual(['box', 'mask']);
    expect(compareObjects('a', held, merged, 0, 0)).toEqual([]);
  });

  it('equal areas keep the record order, later on top', () => {
    const a = obj('a', { type: 'polygon', points: [0, 0, 4, 0, 4, 4, 0, 4] });
    const b = obj('b', { type: 'polygon', points: [2, 2, 6, 2, 6, 6, 2, 6] });
    const m = semanticMap({ image, objects: [a, b] }, new Map([['a', 0], ['b', 1]]));
    expect(m[3 * 8 + 3]).toBe(2);
    const m2 = semanticMap({ image, objects: [b, a] }, new Map([['a', 0], ['b', 1]]));
    expect(m2[3 * 8 + 3]).toBe(1);
  });

  it('gives objects past the 254th no instance value, and counts them', () => {
    const objects = Array.from({ length: 300 }, (_, i) => obj('a', { type: 'polygon', points: [i % 8, 0, (i % 8) + 1, 0, (i % 8) + 1, 1] }));
    const tally = new ExportTally();
    instanceMap({ image, objects }, { tally });
    expect(tally.notExported.get('polygons or masks past the 254th object of an image: SegmentationObject holds 254')).toBe(46);
  });
});

describe('bad maps and class lists', () => {
  it('refuses a class value with no name, naming the file and pixel', () => {
    const e = refusal(() => masksFromSemanticMap(rows([0, 1], [3, 0]), 2, 2, ['a', 'b'], { file: 'masks/x.png' }));
    expect([e.file, e.where]).toEqual(['masks/x.png', 'pixel (0, 1)']);
    expect(e.problem).toMatch(/value 3 has no class/);
    expect(refusal(() => masksFromSemanticMap(new Uint8Array(3), 2, 2, [])).problem).toMatch(/3 pixels, expected 2×2/);
  });

  it('refuses instances on background or of two classes', () => {
    expect(refusal(() => masksFromInstanceMap(rows([1, 1]), rows([1, 0]), 2, 1, ['a'], { file: 'o.png' })).problem).toMatch(/instance 1 covers class values 1 and 0/);
    expect(refusal(() => masksFromInstanceMap(rows([1, 1]), rows([0, 1]), 2, 1, ['a'])).problem).toMatch(/lies on class value 0 \(background\)/);
    expect(refusal(() => masksFromInstanceMap(rows([1]), rows([7]), 1, 1, ['a'])).problem).toMatch(/class value 7, which has no name/);
  });

  it('refuses classes.txt without the background line, with blank or repeated lines', () => {
    expect(refusal(() => parseClassesTxt('cat\ndog\n', 'classes.txt')).where).toBe('line 1');
    expect(refusal(() => parseClassesTxt('', 'classes.txt')).problem).toMatch(/empty/);
    const blank = refusal(() => parseClassesTxt('_background_\ncat\n\ndog\n', 'classes.txt'));
    expect([blank.where, blank.problem]).toEqual(['line 3', 'is empty: every line names the class of one map value']);
    expect(refusal(() => parseClassesTxt('background\ncat\ncat\n', 'classes.txt')).problem).toMatch(/also on line 2/);
    expect(() => classesTxt(['a\nb'])).toThrow(/cannot be a line/);
  });
});

describe('round trips of random images', () => {
  let s = 99;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const int = (n: number) => Math.floor(rnd() * n);

  function randomRecord(t: number): FormatRecord {
    const width = 5 + int(60), height = 5 + int(60);
    const names = ['a', 'b', 'c', 'void'];
    const objects: FormatObject[] = [];
    for (let k = 0, n = int(9); k < n; k++) {
      const cls = names[int(4)];
      const kind = int(4);
      if (kind === 0) objects.push(obj(cls, { type: 'box', x: rnd() * width, y: rnd() * height, w: rnd() * 20, h: rnd() * 20 }, { truncated: rnd() < 0.5 }));
      else if (kind === 1) {
        const cx = rnd() * width, cy = rnd() * height, r = 1 + rnd() * 15, m = 3 + int(6);
        const points: number[] = [];
        for (let j = 0; j < m; j++) points.push(cx + r * Math.cos((2 * Math.PI * j) / m) * (0.5 + rnd()), cy + r * Math.sin((2 * Math.PI * j) / m) * (0.5 + rnd()));
        objects.push(obj(cls, { type: 'polygon', points }, { difficult: rnd() < 0.3 }));
      } else if (kind === 2) {
        const m = new Uint8Array(width * height);
        const x0 = int(width), y0 = int(height), x1 = x0 + int(12), y1 = y0 + int(12);
        for (let y = y0; y < Math.min(height, y1); y++) for (let x = x0; x < Math.min(width, x1); x++) if (rnd() < 0.8) m[y * width + x] = 1;
        objects.push(obj(cls, { type: 'mask', ...encodeRle(m, width, height) }, { occluded: 1 }));
      } else objects.push(obj(cls, { type: 'keypoints', points: [1, 1, 2] }));
    }
    return { image: { id: t, file: `${t}.png`, width, height }, objects };
  }

  it('semantic PNG: export, encode, decode, read back = holdSemantic', () => {
    const classIndex = new Map([['a', 0], ['b', 1], ['c', 2], ['void', 3]]);
    for (let t = 0; t < 150; t++) {
      const rec = randomRecord(t);
      const ignoreClass = t % 2 ? 'void' : undefined;
      const map = semanticMap(rec, classIndex, { ignoreClass });
      const png = encodePng({ width: rec.image.width, height: rec.image.height, channels: 1, data: map, palette: vocPalette() }, zlib);
      const back = decodePng(png, zlib);
      const names = parseClassesTxt(classesTxt(['a', 'b', 'c', 'void']), 'classes.txt');
      const got = masksFromSemanticMap(back.data, back.width, back.height, names, { ignoreClass });
      expect(compareObjects(rec.image.file, holdSemantic(rec, classIndex, { ignoreClass }) as never, got, 0, 0)).toEqual([]);
    }
  });

  it('VOC: XML + both PNGs read back = holdVocImage, and instances agree with the class map', () => {
    for (let t = 0; t < 150; t++) {
      const rec = randomRecord(t);
      const ignoreClass = t % 2 ? 'void' : undefined;
      const classIndex = new Map([['a', 0], ['b', 1], ['c', 2], ['void', 3]]);
      const tally = new ExportTally();
      const xml = vocAnnotationXml(rec, { folder: 'VOC', filename: rec.image.file, depth: 3, ignoreClass }, tally);
      const enc = (data: Uint8Array) => decodePng(encodePng({ width: rec.image.width, height: rec.image.height, channels: 1, data, palette: vocPalette() }, zlib), zlib);
      const cls = enc(semanticMap(rec, classIndex, { ignoreClass, tally }));
      const inst = enc(instanceMap(rec, { ignoreClass }));
      const merged = mergeVocSegmentation(parseVocXml(xml, 'a.xml').objects, inst, cls, 'a.xml');
      const expected = holdVocImage(rec, { ignoreClass }).flatMap((h) => (typeof h.held === 'string' ? [] : h.held));
      expect(compareObjects(rec.image.file, expected, merged, 0, 0)).toEqual([]);
      // Every instance's class in the class map is its XML object's class.
      const perInstance = masksFromInstanceMap(inst.data, cls.data, rec.image.width, rec.image.height, ['a', 'b', 'c', 'void']);
      for (const p of perInstance) expect(p.class).toBe(merged[p.instance - 1].class);
    }
  });
});

it('golden files exist (run with REGEN_GOLDEN=1 to write them)', () => {
  for (const f of ['SegmentationClass_6x4.png', 'SegmentationObject_6x4.png', 'Annotations_6x4.xml', 'classes.txt']) expect(existsSync(path.join(dir, f))).toBe(true);
});
