import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.js';
import { JsonSplitter } from './jsonStream.js';
import { FormatError } from './types.js';

interface Event {
  type: 'element' | 'value' | 'end';
  key: string | null;
  index?: number;
  text?: string;
  line: number;
  count?: number;
}

/** Feed `chunks` and record every callback. */
function split(chunks: string[], file = 'test.json'): Event[] {
  const events: Event[] = [];
  const s = new JsonSplitter({
    file,
    onElement: (key, index, text, line) => events.push({ type: 'element', key, index, text, line }),
    onValue: (key, text, line) => events.push({ type: 'value', key, text, line }),
    onArrayEnd: (key, count, line) => events.push({ type: 'end', key, count, line }),
  });
  for (const c of chunks) s.push(c);
  s.end();
  return events;
}

function refusal(chunks: string[]): FormatError {
  try {
    split(chunks);
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return e as FormatError;
  }
  throw new Error(`expected a FormatError for ${JSON.stringify(chunks.join('')).slice(0, 200)}`);
}

/** Cut `text` at random places, pieces of 1 to `max` characters (so surrogate pairs and escapes get split). */
function randomChunks(text: string, rand: () => number, max: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; ) {
    const n = 1 + Math.floor(rand() * max);
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

describe('JsonSplitter: what comes out', () => {
  it('a COCO-shaped object: arrays split into elements with their lines, other values whole', () => {
    const doc = [
      '{"info": {"description": "x", "list": [1, 2]},',
      ' "images": [',
      '  {"id": 1, "file_name": "a.jpg"},',
      '  {"id": 2, "file_name": "b [1].jpg"}',
      ' ],',
      ' "count": 2, "name": "n", "none": null, "yes": true,',
      ' "annotations": [], "nested": [[1, 2], [3], "s", -1.5e3, false]',
      '}',
    ].join('\n');
    expect(split([doc])).toEqual([
      { type: 'value', key: 'info', text: '{"description": "x", "list": [1, 2]}', line: 1 },
      { type: 'element', key: 'images', index: 0, text: '{"id": 1, "file_name": "a.jpg"}', line: 3 },
      { type: 'element', key: 'images', index: 1, text: '{"id": 2, "file_name": "b [1].jpg"}', line: 4 },
      { type: 'end', key: 'images', count: 2, line: 5 },
      { type: 'value', key: 'count', text: '2', line: 6 },
      { type: 'value', key: 'name', text: '"n"', line: 6 },
      { type: 'value', key: 'none', text: 'null', line: 6 },
      { type: 'value', key: 'yes', text: 'true', line: 6 },
      { type: 'end', key: 'annotations', count: 0, line: 7 },
      { type: 'element', key: 'nested', index: 0, text: '[1, 2]', line: 7 },
      { type: 'element', key: 'nested', index: 1, text: '[3]', line: 7 },
      { type: 'element', key: 'nested', index: 2, text: '"s"', line: 7 },
      { type: 'element', key: 'nested', index: 3, text: '-1.5e3', line: 7 },
      { type: 'element', key: 'nested', index: 4, text: 'false', line: 7 },
      { type: 'end', key: 'nested', count: 5, line: 7 },
    ]);
  });

  it('a top-level array (a COCO results list): elements with key null', () => {
    const doc = '[\r\n{"image_id": 1, "score": 0.5},\r\n{"image_id": 2, "caption": "a \\"b\\" ]}"}\r\n]\r\n';
    expect(split([doc])).toEqual([
      { type: 'element', key: null, index: 0, text: '{"image_id": 1, "score": 0.5}', line: 2 },
      { type: 'element', key: null, index: 1, text: '{"image_id": 2, "caption": "a \\"b\\" ]}"}', line: 3 },
      { type: 'end', key: null, count: 2, line: 4 },
    ]);
    expect(split(['[]'])).toEqual([{ type: 'end', key: null, count: 0, line: 1 }]);
    expect(split(['\uFEFF{}'])).toEqual([]);
  });

  it('strings: escaped quotes and backslashes, brackets, unicode escapes, surrogate pairs, escaped keys', () => {
    const tricky = ['\\', '\\\\', '"', '\\"', '}', ']', '[{', 'ä', '😀', '\u2028', '\n', '\t', 'a,b:c', ''];
    const elements = tricky.map((s, i) => ({ s, i, nested: [s, { [s]: s }] }));
    const doc = JSON.stringify({ 'k"\\}': 1, 'data\u00e9': elements, 'a\\u00e9': 'x' });
    const events = split([doc]);
    expect(events.filter((e) => e.type === 'element').map((e) => JSON.parse(e.text!))).toEqual(elements);
    expect(events.filter((e) => e.type !== 'end').map((e) => e.key)).toEqual(['k"\\}', ...elements.map(() => 'dataé'), 'a\\u00e9']);
    // A key written with \u escapes is decoded.
    expect(split(['{"\\u0061b": [1]}'])[0].key).toBe('ab');
  });

  it('calls back synchronously, so a reader can stop the push by throwing', () => {
    const s = new JsonSplitter({
      file: 'f',
      onElement: (_k, i) => {
        if (i === 1) throw new Error('stop');
      },
    });
    expect(() => s.push('[1, 2, 3]')).toThrow('stop');
  });
});

// ---------------------------------------------------------------- random documents

/** A random JSON value, with strings full of the characters a scanner can trip on. */
function randomValue(rand: () => number, depth: number): unknown {
  const r = rand();
  if (depth > 3 || r < 0.35) {
    const k = Math.floor(rand() * 7);
    if (k === 0) return Math.floor(rand() * 2000) - 1000;
    if (k === 1) return (rand() - 0.5) * 10 ** Math.floor(rand() * 40 - 20);
    if (k === 2) return [true, false, null][Math.floor(rand() * 3)];
    return randomString(rand);
  }
  const n = Math.floor(rand() * 5);
  if (r < 0.65) return Array.from({ length: n }, () => randomValue(rand, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) o[randomString(rand)] = randomValue(rand, depth + 1);
  return o;
}

const PIECES = ['"', '\\', '\\"', '{', '}', '[', ']', ',', ':', ' ', '\n', 'é', '😀', '\u0000', 'abc', '\\u', '/', '\r\n'];
function randomString(rand: () => number): string {
  let s = '';
  const n = Math.floor(rand() * 6);
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(rand() * PIECES.length)];
  return s;
}

/** Serialize with random whitespace (including line breaks) between tokens, and some \u escapes in strings. */
function write(v: unknown, rand: () => number): string {
  const ws = () => ['', '', ' ', '\n', '\t', '\r\n  ', '\n\n'][Math.floor(rand() * 7)];
  if (typeof v === 'string') {
    let s = JSON.stringify(v);
    if (rand() < 0.3) s = s.replace(/é/g, '\\u00e9');
    return s;
  }
  if (Array.isArray(v)) return '[' + ws() + v.map((x) => write(x, rand) + ws()).join(',' + ws()) + ']';
  if (v && typeof v === 'object') {
    return '{' + ws() + Object.entries(v).map(([k, x]) => JSON.stringify(k) + ws() + ':' + ws() + write(x, rand) + ws()).join(',' + ws()) + '}';
  }
  return JSON.stringify(v);
}

interface Doc {
  text: string;
  /** What must come out: key, element value, and the line its text starts on (counted here, independently). */
  elements: { key: string | null; value: unknown; line: number }[];
}

function randomDoc(rand: () => number): Doc {
  let text = '';
  const elements: Doc['elements'] = [];
  const lineOf = () => text.split('\n').length;
  const ws = () => ['', ' ', '\n', '\r\n', '\t'][Math.floor(rand() * 5)];
  const array = (key: string | null) => {
    text += '[' + ws();
    const n = Math.floor(rand() * 6);
    for (let i = 0; i < n; i++) {
      if (i) text += ',' + ws();
      const value = randomValue(rand, 0);
      elements.push({ key, value, line: lineOf() });
      text += write(value, rand) + ws();
    }
    text += ']';
  };
  text += ws();
  if (rand() < 0.3) array(null);
  else {
    text += '{' + ws();
    const keys = Math.floor(rand() * 5);
    for (let k = 0; k < keys; k++) {
      if (k) text += ',' + ws();
      const key = rand() < 0.5 ? ['images', 'annotations', 'categories'][k % 3] : randomString(rand);
      text += JSON.stringify(key) + ws() + ':' + ws();
      if (rand() < 0.7) array(key);
      else {
        // Any array value is split into elements; these values must stay whole.
        let v = randomValue(rand, 1);
        if (Array.isArray(v)) v = { list: v };
        text += write(v, rand);
      }
      text += ws();
    }
    text += '}';
  }
  text += ws();
  return { text, elements };
}

describe('JsonSplitter: random documents and random chunkings', () => {
  it('gives every element (as JSON.parse sees it) with its line, however the text is cut', () => {
    const rand = mulberry32(80);
    for (let trial = 0; trial < 300; trial++) {
      const doc = randomDoc(rand);
      const whole = split([doc.text]);
      const got = whole.filter((e) => e.type === 'element').map((e) => ({ key: e.key, value: JSON.parse(e.text!), line: e.line }));
      expect(got).toEqual(doc.elements);
      // The document as a whole parses to the same thing, so the texts are exactly the elements.
      expect(JSON.parse(doc.text)).toBeDefined();
      for (const max of [1, 2, 7, 64]) expect(split(randomChunks(doc.text, rand, max))).toEqual(whole);
    }
  });

  it('backslash runs and escaped quotes cut at every place, and one character per chunk', () => {
    for (const s of ['a\\', '\\\\', '\\"', 'x\\\\\\"y', '"', '\\u0022', '😀\\']) {
      const doc = `{"k": [${JSON.stringify(s)}, {${JSON.stringify(s)}: [${JSON.stringify(s)}]}], ${JSON.stringify(s)}: 1}`;
      const whole = split([doc]);
      expect(JSON.parse(whole[0].text!)).toBe(s);
      expect(whole.map((e) => e.key)).toEqual(['k', 'k', 'k', s]);
      for (let cut = 0; cut <= doc.length; cut++) expect(split([doc.slice(0, cut), doc.slice(cut)])).toEqual(whole);
      expect(split([...doc])).toEqual(whole);
    }
  });

  it('empty chunks change nothing', () => {
    const doc = '{"a": [1, {"b": "c"}], "d": "e"}';
    expect(split(['', doc.slice(0, 5), '', '', doc.slice(5), ''])).toEqual(split([doc]));
  });

  it('every truncation of a document is refused at end(), naming the file and a line', () => {
    const rand = mulberry32(81);
    for (let trial = 0; trial < 60; trial++) {
      const { text } = randomDoc(rand);
      const close = Math.max(text.lastIndexOf('}'), text.lastIndexOf(']'));
      for (let n = 0; n <= close; n++) {
        const e = refusal(randomChunks(text.slice(0, n), rand, 5));
        expect(e.file).toBe('test.json');
        expect(e.where).toMatch(/^line \d+$/);
      }
    }
  });
});

// ---------------------------------------------------------------- bad input

describe('JsonSplitter: malformed input names the line and what is wrong', () => {
  const cases: [string, string, RegExp][] = [
    ['', 'line 1', /empty/],
    ['  \n ', 'line 2', /empty/],
    ['"just a string"', 'line 1', /top level must be a JSON object or array/],
    ['\n42', 'line 2', /top level must be a JSON object or array/],
    ['{"a": [1, 2}', 'line 1', /"}" does not match "\["|expected "," or "\]"/],
    ['[{"a": [1, 2}]', 'line 1', /"}" does not match "\["/],
    ['[{"a": 1]]', 'line 1', /"\]" does not match "\{"/],
    ['[\n{"a": 1}\n{"b": 2}\n]', 'line 3', /expected "," or "\]" after element 0/],
    ['[1 2]', 'line 1', /expected "," or "\]"/],
    ['[1,\n x]', 'line 2', /expected a JSON value/],
    ['[tru]', 'line 1', /"tru" is not a JSON value/],
    ['[01]', 'line 1', /"01" is not a JSON value/],
    ['{"a": 1,}', 'line 1', /a comma before "\}"/],
    ['[1,]', 'line 1', /comma before "\]"/],
    ['{"a" 1}', 'line 1', /expected ":" after the key "a"/],
    ['{a: 1}', 'line 1', /expected a key in quotes/],
    ['{"a": [1]\n"b": 2}', 'line 2', /expected "," or "\}" after the value of "a"/],
    ['{"a": 1}\n\nx', 'line 3', /after the end of the top-level object/],
    ['[]\n[]', 'line 2', /after the end of the top-level array/],
    ['{"a": [1, 2]', 'line 1', /ends before the top-level object is closed/],
    ['{"a": [1, {"b": "c', 'line 1', /ends inside element 1 in "a"/],
    ['{"images": [\n{"id": 1},\n{"id": 2\n', 'line 4', /ends inside element 1 in "images" \(started on line 3\)/],
    ['{"info": {"x": 1', 'line 1', /ends inside the value of "info"/],
    ['{"ke', 'line 1', /ends inside a key/],
    ['[1', 'line 1', /ends inside element 0 in the top-level array/],
    ['{"a": [1, 2]}]', 'line 1', /unexpected "\]" after the end/],
  ];
  for (const [text, where, problem] of cases) {
    it(JSON.stringify(text), () => {
      const e = refusal([text]);
      expect(e.where).toBe(where);
      expect(e.problem).toMatch(problem);
      expect(e.message).toContain('test.json');
      // The same refusal whichever way the text arrives.
      const rand = mulberry32(text.length);
      const e2 = refusal(randomChunks(text, rand, 2));
      expect([e2.where, e2.problem]).toEqual([e.where, e.problem]);
    });
  }

  it('a push after end() is a programming error, not a format error', () => {
    const s = new JsonSplitter({ file: 'f', onElement: () => {} });
    s.push('[]');
    s.end();
    expect(() => s.push('[]')).toThrow(/after end/);
  });
});

// ---------------------------------------------------------------- speed

describe('JsonSplitter: big documents', () => {
  // Speed is measured in the benchmark (npm run bench -- datasets), never asserted here.
  it('splits a COCO-shaped file in 1 MiB chunks, keeping only the current element', () => {
    const ann = (i: number) =>
      JSON.stringify({
        id: i,
        image_id: i >> 3,
        category_id: 1 + (i % 80),
        segmentation: [[10.5, 20.25, 30.125, 40, 50, 60, 70.75, 80, 12.5, 33.25]],
        area: 1234.5,
        bbox: [10.5, 20.25, 59.5, 59.75],
        iscrowd: 0,
        attributes: { note: 'a "quoted" [bracket] {brace}', occluded: false },
      });
    const parts: string[] = ['{"info": {"year": 2024},\n"images": [],\n"annotations": [\n'];
    for (let i = 0; i < 20_000; i++) parts.push((i ? ',\n' : '') + ann(i));
    parts.push('\n]}\n');
    const text = parts.join('');
    const chunk = 1 << 20;
    let count = 0, maxLen = 0, last = '';
    const s = new JsonSplitter({
      file: 'big.json',
      onElement: (_k, _i, t) => {
        count++;
        maxLen = Math.max(maxLen, t.length);
        last = t;
      },
    });
    for (let i = 0; i < text.length; i += chunk) s.push(text.slice(i, i + chunk));
    s.end();
    expect(count).toBe(20_000);
    expect(maxLen).toBeLessThan(400);
    expect(JSON.parse(last)).toEqual(JSON.parse(ann(19_999)));
  });

  it('one element spread over many tiny chunks is joined once, not re-copied per chunk', () => {
    const big = JSON.stringify({ counts: 'x'.repeat(2_000_000) });
    const text = `[${big}]`;
    const t0 = performance.now();
    const events = split(randomChunks(text, mulberry32(3), 64));
    expect(events[0].text).toBe(big);
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});
