import { formatObject, golden as goldenText } from '../../test/formats-testkit.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Geometry } from '../api/contract.js';
import { mulberry32 } from '../random.js';
import { captionsJsonl, captionsJsonlLines, holdCaption, parseCaptionsJsonl } from './captions.js';
import { compareObjects } from './compare.js';
import { ExportTally, FormatError, type FormatObject, type FormatRecord } from './types.js';

const golden = (name: string) => goldenText('captions', name);

const obj = formatObject;

const records = (): FormatRecord[] => [
  {
    image: { id: 7, file: 'street/0001.jpg', width: 200, height: 100 },
    objects: [
      obj(null, { type: 'caption', text: 'A red car parked by the curb.' }),
      obj('car', { type: 'box', x: 1, y: 2, w: 3, h: 4 }),
      obj(null, { type: 'caption', text: 'Quotes " and a backslash \\ and é, then a line\nbreak' }),
    ],
  },
  { image: { id: 9, file: 'empty.jpg', width: 10, height: 10 }, objects: [] },
  {
    image: { id: 8, file: 'park/0002.png', width: 50, height: 50 },
    objects: [obj(null, { type: 'caption', text: '' }, { score: 0.5 }), obj('style', { type: 'caption', text: 'two\u2028lines?' }, { attributes: { lang: 'en' } })],
  },
];

describe('captions JSON Lines', () => {
  it('writes the golden file (one caption per line; U+2028 escaped so no reader splits a record)', () => {
    const tally = new ExportTally();
    expect(captionsJsonl(records(), tally)).toBe(golden('captions.jsonl'));
    expect(Object.fromEntries(tally.notExported)).toEqual({ 'shapes and tags (a captions file holds captions only)': 1 });
    expect(Object.fromEntries(tally.changed)).toEqual({
      'caption classes not kept (a captions file has no class)': 1,
      'caption attributes not kept (a captions file has none)': 1,
    });
    expect([...captionsJsonlLines(records())]).toHaveLength(4);
  });

  it('reads the golden file back as what hold says it keeps, grouped by image', () => {
    const parsed = parseCaptionsJsonl(golden('captions.jsonl'), 'captions.jsonl');
    expect(parsed.map((p) => [p.file, p.imageId, p.objects.length])).toEqual([
      ['street/0001.jpg', 7, 2],
      ['park/0002.png', 8, 2],
    ]);
    for (const rec of records()) {
      const expected = rec.objects.map((o) => holdCaption(o, rec.image)).filter((h) => typeof h !== 'string').flat();
      const got = parsed.find((p) => p.file === rec.image.file)?.objects ?? [];
      expect(compareObjects(rec.image.file, expected, got, 0)).toEqual([]);
    }
    expect(parsed[1].objects.map((o) => [o.where, o.score])).toEqual([['line 3', 0.5], ['line 4', null]]);
  });

  it('round-trips random captions (property)', () => {
    const rand = mulberry32(21);
    const pool = ['a', ' ', '"', '\\', '\n', '\r', '\t', '\u2028', '\u2029', '\u0085', 'é', '😀', '{', '}', '\u0000', '\ud800'];
    const recs: FormatRecord[] = [];
    for (let i = 0; i < 200; i++) {
      const objects = Array.from({ length: Math.floor(rand() * 4) }, () =>
        obj(null, { type: 'caption', text: Array.from({ length: Math.floor(rand() * 12) }, () => pool[Math.floor(rand() * pool.length)]).join('') }, { score: rand() < 0.3 ? rand() : null }),
      );
      recs.push({ image: { id: i + 1, file: `d/${i}.jpg`, width: 1, height: 1 }, objects });
    }
    const text = captionsJsonl(recs);
    expect(text.split('\n').length - 1).toBe(recs.reduce((n, r) => n + r.objects.length, 0));
    const parsed = new Map(parseCaptionsJsonl(text, 'c.jsonl').map((p) => [p.file, p]));
    for (const rec of recs) {
      const expected = rec.objects.map((o) => holdCaption(o, rec.image)).filter((h) => typeof h !== 'string').flat();
      expect(compareObjects(rec.image.file, expected, parsed.get(rec.image.file)?.objects ?? [], 0)).toEqual([]);
      if (rec.objects.length) expect(parsed.get(rec.image.file)!.imageId).toBe(rec.image.id);
    }
  });

  it('accepts CRLF, a BOM, blank lines and lines without image_id', () => {
    const p = parseCaptionsJsonl('\uFEFF{"image": "a.jpg", "caption": "x"}\r\n\r\n{"image": "a.jpg", "image_id": 3, "caption": "y"}\r\n', 'c.jsonl');
    expect(p).toEqual([
      {
        file: 'a.jpg',
        width: null,
        height: null,
        imageId: 3,
        objects: [
          { class: null, kind: 'caption', geometry: { type: 'caption', text: 'x' }, attributes: {}, score: null, where: 'line 1' },
          { class: null, kind: 'caption', geometry: { type: 'caption', text: 'y' }, attributes: {}, score: null, where: 'line 3' },
        ],
      },
    ]);
  });

  const bad: [string, string, number, RegExp][] = [
    ['malformed JSON', '{"image": "a.jpg", "caption": "x"}\n{"image": "a.jpg", "caption": }', 2, /not valid JSON at column 31: unexpected "}"/],
    ['a line that is not an object', '["a.jpg", "x"]', 1, /JSON object/],
    ['a missing image', '{"caption": "x"}', 1, /no "image"/],
    ['an image that is not a string', '{"image": 3, "caption": "x"}', 1, /"image" must be a non-empty string/],
    ['a missing caption', '\n{"image": "a.jpg"}', 2, /no "caption"/],
    ['a caption that is not a string', '{"image": "a.jpg", "caption": 5}', 1, /"caption" must be a string, got number/],
    ['a null caption', '{"image": "a.jpg", "caption": null}', 1, /got null/],
    ['an image_id that is not whole', '{"image": "a.jpg", "image_id": "7", "caption": "x"}', 1, /image_id/],
    ['image_ids that disagree', '{"image": "a.jpg", "image_id": 1, "caption": "x"}\n{"image": "a.jpg", "image_id": 2, "caption": "y"}', 2, /image_id 2 here but 1/],
    ['a score that is not a number', '{"image": "a.jpg", "caption": "x", "score": "high"}', 1, /"score" must be a number/],
    ['a caption past the project’s limit', JSON.stringify({ image: 'a.jpg', caption: 'x'.repeat(10_001) }), 1, /10001 characters/],
  ];
  for (const [what, text, line, message] of bad) {
    it(`refuses ${what} (line ${line})`, () => {
      let err: unknown = null;
      try {
        parseCaptionsJsonl(text, 'out/captions.jsonl');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FormatError);
      expect((err as FormatError).file).toBe('out/captions.jsonl');
      expect((err as FormatError).where).toBe(`line ${line}`);
      expect((err as FormatError).problem).toMatch(message);
    });
  }
});

describe('captions JSON Lines, line by line', () => {
  const rec = (objects: FormatObject[], image = { id: 3, file: 'dir/a.jpg', width: 4, height: 4 }): FormatRecord => ({ image, objects });

  it('writes image, image_id and caption, in that order, and a score only for predictions (0 included)', () => {
    expect(captionsJsonl([rec([obj(null, { type: 'caption', text: 'hi' })])])).toBe('{"image":"dir/a.jpg","image_id":3,"caption":"hi"}\n');
    expect(captionsJsonl([rec([obj(null, { type: 'caption', text: 'hi' }, { score: 0 })])])).toBe('{"image":"dir/a.jpg","image_id":3,"caption":"hi","score":0}\n');
    expect(captionsJsonl([])).toBe('');
    expect([...captionsJsonlLines([rec([obj(null, { type: 'caption', text: 'a' }), obj(null, { type: 'caption', text: 'b' })])])]).toEqual([
      '{"image":"dir/a.jpg","image_id":3,"caption":"a"}\n',
      '{"image":"dir/a.jpg","image_id":3,"caption":"b"}\n',
    ]);
  });

  it('escapes U+0085, U+2028 and U+2029 as four-digit \\u escapes, every one of them', () => {
    const text = 'a\u0085b\u2029c\u2028d\u0085';
    const out = captionsJsonl([rec([obj(null, { type: 'caption', text })])]);
    expect(out).toBe('{"image":"dir/a.jpg","image_id":3,"caption":"a\\u0085b\\u2029c\\u2028d\\u0085"}\n');
    expect(parseCaptionsJsonl(out, 'c.jsonl')[0].objects[0].geometry).toEqual({ type: 'caption', text });
  });

  it('holds a caption as a classless caption with its score, and counts nothing for a plain one', () => {
    const image = { id: 1, file: 'a.jpg', width: 1, height: 1 };
    const tally = new ExportTally();
    expect(holdCaption(obj(null, { type: 'caption', text: 'x' }, { score: 0.25 }), image, tally)).toEqual([
      { class: null, kind: 'caption', geometry: { type: 'caption', text: 'x' }, attributes: {}, score: 0.25 },
    ]);
    expect(tally.lines()).toEqual([]);
    expect(holdCaption(obj('c', { type: 'caption', text: 'x' }, { attributes: { a: 1 } }), image)).toEqual([
      { class: null, kind: 'caption', geometry: { type: 'caption', text: 'x' }, attributes: {}, score: null },
    ]);
    expect(holdCaption(obj(null, { type: 'tag' }), image, tally)).toBe('shapes and tags (a captions file holds captions only)');
    // hold itself only says why; the writer counts the skip
    expect(tally.lines()).toEqual([]);
    captionsJsonl([rec([obj(null, { type: 'tag' }), obj('c', { type: 'box', x: 0, y: 0, w: 1, h: 1 })])], tally);
    expect(tally.lines()).toEqual(['not exported: 2 × shapes and tags (a captions file holds captions only)']);
  });

  it('reads Windows paths with /, skips whitespace-only lines, and counts them in line numbers', () => {
    const p = parseCaptionsJsonl('  \n\t\r\n{"image": "d\\\\e\\\\f.jpg", "caption": "x", "score": null, "image_id": null}\n', 'c.jsonl');
    expect(p).toEqual([
      { file: 'd/e/f.jpg', width: null, height: null, imageId: null, objects: [{ class: null, kind: 'caption', geometry: { type: 'caption', text: 'x' }, attributes: {}, score: null, where: 'line 3' }] },
    ]);
  });

  it('takes image_id from the first line of an image that has one, and accepts the same id again', () => {
    const p = parseCaptionsJsonl(
      ['{"image": "a.jpg", "caption": "1"}', '{"image": "b.jpg", "image_id": 5, "caption": "2"}', '{"image": "a.jpg", "image_id": 4, "caption": "3"}', '{"image": "a.jpg", "image_id": 4, "caption": "4"}', '{"image": "a.jpg", "caption": "5"}'].join('\n'),
      'c.jsonl',
    );
    expect(p.map((i) => [i.file, i.imageId, i.objects.map((o) => (o.geometry as { text: string }).text).join('')])).toEqual([
      ['a.jpg', 4, '1345'],
      ['b.jpg', 5, '2'],
    ]);
  });

  it('keeps a caption of exactly 10000 characters, a score of 0, and a BOM only at the very start', () => {
    const long = 'y'.repeat(10_000);
    const [img] = parseCaptionsJsonl(`\uFEFF${JSON.stringify({ image: 'a.jpg', caption: long, score: 0 })}`, 'c.jsonl');
    expect([(img.objects[0].geometry as { text: string }).text.length, img.objects[0].score]).toEqual([10_000, 0]);
    expect(() => parseCaptionsJsonl('{"image": "a.jpg", "caption": "x"}\n\uFEFF{"image": "a.jpg", "caption": "y"}', 'c.jsonl')).toThrow(/line 2/);
  });

  it('strips only the line end\'s \\r: one before the JSON counts in the error\'s column', () => {
    // "{"image": "a.jpg", "caption": }" fails at column 31 (the "}"); a leading \r (JSON whitespace) makes it 32
    expect(() => parseCaptionsJsonl('{"image": "a.jpg", "caption": }', 'c.jsonl')).toThrow(/at column 31: unexpected "}"/);
    expect(() => parseCaptionsJsonl('\r{"image": "a.jpg", "caption": }', 'c.jsonl')).toThrow(/at column 32: unexpected "}"/);
    expect(() => parseCaptionsJsonl('\r{"image": "a.jpg", "caption": }\r', 'c.jsonl')).toThrow(/at column 32: unexpected "}"/);
  });

  const bad: [string, string, RegExp][] = [
    ['an empty image name', '{"image": "", "caption": "x"}', /^"image" must be a non-empty string$/],
    ['null as a line', 'null', /^each line must be a JSON object/],
    ['a number as a line', '5', /^each line must be a JSON object/],
    ['a fractional image_id', '{"image": "a.jpg", "image_id": 1.5, "caption": "x"}', /^"image_id" must be a whole number$/],
    ['a boolean caption', '{"image": "a.jpg", "caption": true}', /^"caption" must be a string, got boolean$/],
    ['an unparsable line', '{"image": "a.jpg", "caption": "x"', /^not valid JSON/],
    ['a missing image', '{"caption": "x"}', /^no "image" \(the image file the caption is about\)$/],
    ['a missing caption', '{"image": "a.jpg"}', /^no "caption"$/],
    // JSON.parse reads 1e999 as Infinity, which is no score
    ['an infinite score', '{"image": "a.jpg", "caption": "x", "score": 1e999}', /^"score" must be a number$/],
    ['a negative infinite score', '{"image": "a.jpg", "caption": "x", "score": -1e999}', /^"score" must be a number$/],
  ];
  for (const [what, text, message] of bad) {
    it(`refuses ${what} with its own message`, () => {
      let err: unknown = null;
      try {
        parseCaptionsJsonl(text, 'c.jsonl');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FormatError);
      expect((err as FormatError).problem).toMatch(message);
      expect((err as FormatError).message).toBe(`c.jsonl (line 1): ${(err as FormatError).problem}`);
    });
  }
});
